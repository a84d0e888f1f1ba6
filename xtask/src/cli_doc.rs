//! `docs/cli.md`, rendered from the `opencloud` command's own help.
//!
//! The xtask does not link the CLI crate; it runs the built binary's hidden `markdown-help`
//! command, which walks the clap definitions.

use std::path::Path;
use std::process::Command;

/// Renders the CLI reference, or `None` while the CLI crate has no `markdown-help` command.
pub fn render(root: &Path) -> Result<Option<String>, String> {
    if !root.join("crates/opencloud-cli/src/cli.rs").exists() {
        return Ok(None);
    }
    let out = Command::new(env!("CARGO"))
        .args([
            "run",
            "--quiet",
            "-p",
            "opencloud-cli",
            "--bin",
            "opencloud",
            "--",
            "markdown-help",
        ])
        .current_dir(root)
        .env_remove("OPENCLOUD_API_KEY")
        .env_remove("OPENCLOUD_BASE_URL")
        .env_remove("OPENCLOUD_UNIVERSE_ID")
        .output()
        .map_err(|e| format!("cannot run the opencloud binary: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "opencloud markdown-help failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout)
        .map(Some)
        .map_err(|e| e.to_string())
}
