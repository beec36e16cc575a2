//! The suite is sealed from the caller's environment: an organiser's exported `CHRONICLE_*`
//! overrides change no test, `UPDATE_GOLDEN` rewrites golden files only when it is `1` and never
//! under CI, and proptest's recorded regressions sit where their properties live.

use std::path::Path;
use std::process::Command;

use crate::helpers::updating_golden;

/// Set on the re-run below, so that it does not start itself again.
const RERUN: &str = "SEALED_RERUN";

/// What an organiser following the README may well have exported, and what each would break:
/// a password over plain SMTP is refused at start, a grouping changes the golden digest, the
/// guard refuses the tests' servers on 127.0.0.1.
const EXPORTED: &[(&str, &str)] = &[
    ("CHRONICLE_SMTP__PASSWORD", "hunter2"),
    ("CHRONICLE_SMTP__USERNAME", "organiser"),
    ("CHRONICLE_DIGEST__GROUP_BY", "tag"),
    ("CHRONICLE_FETCH__ALLOW_PRIVATE_NETWORKS", "false"),
    (
        "CHRONICLE_DATABASE__URL",
        "sqlite:///nonexistent/elsewhere.db",
    ),
];

#[test]
fn tests_pass_with_the_callers_chronicle_variables_exported() {
    if std::env::var_os(RERUN).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    // A subset that spawns the binary, loads settings in process, renders the golden digest
    // and sends mail.
    let out = Command::new(exe)
        .args([
            "golden::golden_digest_in_every_format_and_the_archive_page",
            "fetching::second_fetch_is_conditional_and_stores_nothing_new",
            "web::archive_health_and_one_click_unsubscribe",
            "cli::feeds_add_list_remove",
            "--test-threads=2",
        ])
        .envs(EXPORTED.iter().copied())
        .env(RERUN, "1")
        .output()
        .expect("re-run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 4 passed"),
        "with CHRONICLE_* exported:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn golden_files_are_rewritten_only_with_update_golden_1_and_never_under_ci() {
    assert!(updating_golden(Some("1"), false));
    for value in [None, Some("0"), Some("true"), Some(""), Some("yes")] {
        assert!(!updating_golden(value, false), "{value:?}");
    }
    assert!(!updating_golden(Some("1"), true), "never under CI");
}

#[test]
fn recorded_proptest_regressions_sit_where_their_properties_live() {
    // proptest looks for `proptest-regressions/<path of the source file under src/>.txt`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("proptest-regressions")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read proptest-regressions") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "regression seeds are kept");
    for file in files {
        let rel = file
            .strip_prefix(root.join("proptest-regressions"))
            .expect("under proptest-regressions");
        let source = root.join("src").join(rel).with_extension("rs");
        let text = std::fs::read_to_string(&source).unwrap_or_else(|_| {
            panic!(
                "{} has no source file {}: move it next to its property",
                file.display(),
                source.display()
            )
        });
        assert!(
            text.contains("proptest!"),
            "{} holds no property for {}",
            source.display(),
            file.display()
        );
    }
}
