//! `.chalice/config.json` text → `grail::project::config::Config::parse`, then every
//! stage/function view's accessors (they interpret the parsed values).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hook;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    hook::install();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-grail-fuzz/.chalice/config.json");
    let Ok(config) = grail::project::config::Config::parse(path, text) else {
        return;
    };
    let user = grail::project::config::UserParams::default();
    for stage in config.stage_names().into_iter().chain(["dev".to_string()]) {
        let mut functions = config.function_names(&stage);
        functions.push("api_handler".to_string());
        for function in functions {
            let view = config.scope(&stage, &function, &user);
            let _ = (view.app_name(), view.lambda_architecture());
            let _ = (view.lambda_python_version(), view.layer_manifests());
            let _ = (view.environment_variables(), view.tags("1.0"));
            let _ = (view.automatic_layer(), view.exclude_packages());
            let _ = (view.layers(), view.runtime_provided());
            let _ = (
                view.effective_lambda_memory_size(),
                view.effective_lambda_timeout(),
            );
            let _ = (view.iam_policy_path(), view.api_gateway_custom_domain());
        }
    }
});
