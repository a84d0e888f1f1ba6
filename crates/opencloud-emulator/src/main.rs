//! `opencloud-emulator`: a local Roblox Open Cloud data stores server.

use clap::Parser;

/// A local Roblox Open Cloud data stores server on SQLite.
#[derive(Debug, Parser)]
#[command(name = "opencloud-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    serve: opencloud_emulator::ServeArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match opencloud_emulator::serve::run_foreground(&cli.serve) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opencloud-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
