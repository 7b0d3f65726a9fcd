//! The real grpcurl binary against the real `tip-atlas` binary, through server reflection only.

mod support;

use std::process::Command;

use support::{ServerProcess, tool};

/// Runs `grpcurl -plaintext FLAGS ADDRESS COMMAND...`: success and everything it printed.
fn grpcurl(grpcurl: &std::path::Path, address: &str, flags: &[&str], command: &[&str]) -> (bool, String) {
    let output = Command::new(grpcurl).arg("-plaintext").args(flags).arg(address).args(command).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn grpcurl_explores_the_api_through_reflection() {
    let Some(grpcurl_path) = tool("grpcurl") else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&folder.path().join("tip.sqlite"));
    let run = |flags: &[&str], command: &[&str]| grpcurl(&grpcurl_path, &server.address, flags, command);

    // Health first: the bundled data may still be loading.
    let mut serving = false;
    for _ in 0..300 {
        let (ok, out) = run(&["-d", r#"{"service":""}"#], &["grpc.health.v1.Health/Check"]);
        if ok && out.contains("SERVING") && !out.contains("NOT_SERVING") {
            serving = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(serving, "health never said SERVING");

    let (ok, services) = run(&[], &["list"]);
    assert!(ok, "{services}");
    for service in ["tip.v1.ReportService", "tip.v1.CountryService", "grpc.health.v1.Health"] {
        assert!(services.lines().any(|l| l == service), "{service} missing from:\n{services}");
    }

    let (ok, described) = run(&[], &["describe", "tip.v1.Report"]);
    assert!(ok, "{described}");
    assert!(described.contains("repeated .tip.v1.Recommendation recommendations"), "{described}");
    assert!(described.contains("// The report year"), "comments reach grpcurl:\n{described}");

    let (ok, report) = run(&["-d", r#"{"name":"countries/MLI/reports/2023"}"#], &["tip.v1.ReportService/GetReport"]);
    assert!(ok, "{report}");
    assert!(report.contains(r#""tier": "TIER_2""#), "{report}");
    assert!(report.contains(r#""tierChange": "TIER_CHANGE_UPGRADED""#), "{report}");
    assert!(report.contains("Vigorously investigate and prosecute"), "{report}");

    let (ok, missing) = run(&["-d", r#"{"name":"countries/MLI/reports/2002"}"#], &["tip.v1.ReportService/GetReport"]);
    assert!(!ok);
    assert!(missing.contains("Code: NotFound"), "{missing}");

    let (ok, invalid) = run(&["-d", r#"{"name":"not a name"}"#], &["tip.v1.ReportService/GetReport"]);
    assert!(!ok);
    assert!(invalid.contains("Code: InvalidArgument"), "{invalid}");
    assert!(invalid.contains(r#""field":"name""#), "rich details decode through reflection:\n{invalid}");

    assert!(server.terminate().success(), "SIGTERM stops the server cleanly");
}
