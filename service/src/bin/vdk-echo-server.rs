//! `vdk-echo-server`: the hostile echo server of [`vdk_control_service::echo`] as a process,
//! for leak tests in other languages (the C tests). Prints `listening on <base url>` once
//! listening and runs until killed. Listens on 127.0.0.1 only.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match vdk_control_service::echo::start_echo_server() {
        Ok(server) => {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "listening on {}", server.base_url());
            let _ = stdout.flush();
            drop(stdout);
            loop {
                std::thread::park();
            }
        }
        Err(error) => {
            eprintln!("vdk-echo-server: cannot listen: {error}");
            ExitCode::FAILURE
        }
    }
}
