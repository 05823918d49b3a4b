//! Build metadata for `/version`: the git commit and tree state, a build
//! date, and the compiler version, passed to the crate as `KEELSON_*`
//! environment variables.
//!
//! The build date is `SOURCE_DATE_EPOCH` when set, else the commit's date,
//! so that the same commit builds the same binary (reproducible builds).
//! Outside a git checkout (a source tarball) the git fields are empty, as
//! upstream's are when built without its version stamping.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    // `--no-optional-locks`: never take the index lock, so a build cannot
    // collide with someone's concurrent git command.
    let output = Command::new("git")
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn rerun_if_exists(path: &str) {
    // A path that does not exist would make cargo rerun this script on
    // every build.
    if !path.is_empty() && Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_default();
    let tree_state = if commit.is_empty() {
        ""
    } else {
        match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if changes.is_empty() => "clean",
            Some(_) => "dirty",
            None => "",
        }
    };
    let build_epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .or_else(|| git(&["show", "-s", "--format=%ct", "HEAD"]))
        .unwrap_or_else(|| "0".to_owned());

    // Rebuild the metadata when HEAD moves (a commit, a checkout).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        rerun_if_exists(&head);
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(reference) = git(&["rev-parse", "--git-path", &branch])
    {
        rerun_if_exists(&reference);
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        rerun_if_exists(&packed);
    }

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .nth(1)
                .map(str::to_owned)
        })
        .unwrap_or_default();

    println!("cargo:rustc-env=KEELSON_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=KEELSON_GIT_TREE_STATE={tree_state}");
    println!("cargo:rustc-env=KEELSON_BUILD_EPOCH={build_epoch}");
    println!("cargo:rustc-env=KEELSON_RUSTC_VERSION={rustc_version}");
}
