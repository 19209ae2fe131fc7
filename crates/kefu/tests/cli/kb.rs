//! `kefu kb import` / `kefu kb export` against a fresh SQLite data directory: a bad line is
//! named and nothing is imported; a good file is; the export imports back to the same file.
use std::process::Command;

/// Runs `kefu --data-dir DIR <args>`: (exit code, stdout, stderr).
fn kefu_in(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn import_is_all_or_nothing_and_export_round_trips() {
    let dir = std::env::temp_dir().join(format!("kefu-kb-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (status, _, err) = kefu_in(&dir, &["demo"]);
    assert_eq!(status, 0, "{err}");

    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "question,answer\nNew question,fine\n,no question\n").unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let (status, _, err) = kefu_in(&dir, &["kb", "import", "--tenant", "demo", "--file", &bad]);
    assert_ne!(status, 0);
    assert!(err.contains("line 3: question"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");

    let good = dir.join("good.jsonl");
    std::fs::write(
        &good,
        "{\"question\":\"Gift wrapping?\",\"answer\":\"Yes\",\"category\":\"Extras/Gifts\",\"similar_questions\":[\"wrap as a present\"]}\n",
    )
    .unwrap();
    let good = good.to_string_lossy().into_owned();
    let (status, out, err) = kefu_in(&dir, &["kb", "import", "--tenant", "demo", "--file", &good]);
    assert_eq!(status, 0, "{err}");
    assert_eq!(out.trim(), "1 created, 0 updated, 2 categories created");

    let exported = dir.join("all.csv");
    let exported_path = exported.to_string_lossy().into_owned();
    let (status, _, err) = kefu_in(
        &dir,
        &["kb", "export", "--tenant", "demo", "--out", &exported_path],
    );
    assert_eq!(status, 0, "{err}");
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(text.contains("Gift wrapping?,Yes,Extras/Gifts"), "{text}");
    assert!(!text.contains("New question"), "the bad file left nothing");
    // Importing the export changes nothing but counts every FAQ as updated.
    let (status, out, err) = kefu_in(
        &dir,
        &["kb", "import", "--tenant", "demo", "--file", &exported_path],
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(out.trim(), "0 created, 58 updated, 0 categories created");
    let (_, again, _) = kefu_in(&dir, &["kb", "export", "--tenant", "demo"]);
    assert_eq!(again, text);
    let (status, _, err) = kefu_in(&dir, &["kb", "export", "--tenant", "nope"]);
    assert_ne!(status, 0);
    assert!(err.contains("no tenant"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
