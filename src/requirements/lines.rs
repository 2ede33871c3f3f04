//! Logical lines as pip sees them: `splitlines`, `\\` continuations, comments, `${VAR}` expansion, and the shell-like split of the options part.

use std::sync::LazyLock;

use regex::Regex;

/// Python's `str.splitlines()`.
pub(super) fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let end_of_line = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if end_of_line {
            lines.push(&text[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// pip's `COMMENT_RE.match`: the line is a comment (optional whitespace, `#`).
pub(super) fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// pip's `COMMENT_RE.sub("", line)`: cut at the first `#` that starts the line
/// or follows whitespace.
pub(super) fn strip_comment(line: &str) -> &str {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            return &line[..i];
        }
        prev_ws = c.is_whitespace();
    }
    line
}

pub(super) static ENV_VAR_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([A-Z0-9_]+)\}").expect("valid regex"));

/// pip's `preprocess`: join continuations, drop comments and blank lines,
/// expand `${NAME}`. Yields (first physical line number, logical line).
pub(super) fn preprocess(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<(usize, String)> {
    // join_lines
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut primary = 0;
    let mut pending: Option<String> = None;
    for (index, line) in splitlines(text).into_iter().enumerate() {
        let number = index + 1;
        if !line.ends_with('\\') || is_comment_line(line) {
            // A comment ends a continuation; the leading space makes sure it
            // is still recognised as a comment once joined.
            let line = if is_comment_line(line) {
                format!(" {line}")
            } else {
                line.to_string()
            };
            match pending.take() {
                Some(mut acc) => {
                    acc.push_str(&line);
                    joined.push((primary, acc));
                }
                None => joined.push((number, line)),
            }
        } else {
            let piece = line.trim_matches('\\');
            match pending.as_mut() {
                Some(acc) => acc.push_str(piece),
                None => {
                    primary = number;
                    pending = Some(piece.to_string());
                }
            }
        }
    }
    if let Some(acc) = pending {
        joined.push((primary, acc));
    }

    joined
        .into_iter()
        .filter_map(|(number, line)| {
            let line = strip_comment(&line).trim();
            if line.is_empty() {
                return None;
            }
            // expand_env_variables: names found in the line, replaced one by one;
            // unset or empty variables stay as written.
            let mut expanded = line.to_string();
            for caps in ENV_VAR_RE.captures_iter(line) {
                if let Some(value) = env(&caps[1]).filter(|v| !v.is_empty()) {
                    expanded = expanded.replace(&caps[0], &value);
                }
            }
            Some((number, expanded))
        })
        .collect()
}

/// pip's `break_args_options`: split on single spaces; the requirement is
/// every token before the first one starting with `-`.
pub(super) fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
    (
        tokens[..split].join(" ").trim().to_string(),
        tokens[split..].join(" "),
    )
}

/// Python's `shlex.split(s)` (POSIX mode, no comments).
pub(super) fn shlex_split(s: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or("No escaped character")?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash only escapes `"` and `\`.
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => word.push(e),
                            Some(e) => {
                                word.push('\\');
                                word.push(e);
                            }
                            None => return Err("No closing quotation"),
                        },
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}
