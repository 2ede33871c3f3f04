fn main() {
    std::process::exit(grail::cli::main());
}
