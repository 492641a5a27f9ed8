//! What the end-to-end test files share: the binary, run in a known locale.

#![allow(dead_code, reason = "each test file uses a part")]
#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use assert_cmd::Command;

/// `cloudward`, independent of the developer's locale and environment.
pub fn cw() -> Command {
    let mut cmd = Command::cargo_bin("cloudward").unwrap();
    cmd.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C")
        .env_remove("CLOUDWARD_CATALOG")
        .env_remove("CLOUDWARD_FRAMEWORKS_DIR")
        .env("COLUMNS", "120");
    cmd
}
