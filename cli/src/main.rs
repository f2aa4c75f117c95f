fn main() {
    eprintln!("vdk-secrets: not built yet");
    std::process::exit(2);
}
