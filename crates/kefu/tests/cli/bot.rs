use super::kefu;

/// Writes `name` with `text` into a fresh per-test directory and returns its path.
fn file(test: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("kefu-bot-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const KB: &str = "question,intent\n\
    我的快递到哪了,track\n物流信息怎么查,track\n帮我查一下快递,track\n\"where is my parcel, please\",track\n\
    怎么申请退款,refund\n退款多久到账,refund\n钱怎么还没退回来,refund\nhow do i get a refund,refund\n\
    怎么开发票,invoice\n可以开电子发票吗,invoice\n发票在哪里申请,invoice\ncan i get an invoice,invoice\n";

#[test]
fn eval_prints_one_report_with_the_figures() {
    let kb = file("ok", "kb.csv", KB);
    let questions = file(
        "ok",
        "q.csv",
        "question,intent\n查一下我的快递,track\n退款什么时候到账,refund\n我要开发票,invoice\n\
         where's my parcel,track\n今天天气怎么样,oos\n转人工,oos\n",
    );
    let (status, out, _) = kefu(&["bot", "eval", "--kb", &kb, "--questions", &questions]);
    assert_eq!(status, 0, "{out}");
    for key in [
        "top1",
        "top3",
        "mrr",
        "macro_f1",
        "answered_rate",
        "answered_accuracy",
        "oos_recall",
        "oos_precision",
        "train_secs",
        "p50_ms",
        "p99_ms",
    ] {
        let value = out[key].as_f64().unwrap_or(-1.0);
        assert!(value >= 0.0, "{key} missing in {out}");
    }
    assert_eq!(out["questions"], 6);
    assert_eq!(out["out_of_scope"], 2);
    assert_eq!(out["lang"], "zh");
    assert!(out["top3"].as_f64().unwrap() >= out["top1"].as_f64().unwrap());
    // "转人工" is always handed off, so at least one out-of-scope question is declined.
    assert!(out["oos_recall"].as_f64().unwrap() >= 0.5, "{out}");
}

#[test]
fn eval_reports_a_bad_row_by_line() {
    let kb = file(
        "bad",
        "kb.csv",
        "question,intent\nok,a\n\"unclosed,b\nx,y,z\n",
    );
    let questions = file("bad", "q.csv", "question,intent\nok,a\n");
    let (status, out, err) = kefu(&["bot", "eval", "--kb", &kb, "--questions", &questions]);
    assert_eq!((status, out), (2, serde_json::Value::Null));
    assert_eq!(err["code"], "invalid_csv");
    assert!(err["message"].as_str().unwrap().contains("line"), "{err}");
}

#[test]
fn eval_refuses_a_missing_file_with_a_code() {
    let (status, _, err) = kefu(&[
        "bot",
        "eval",
        "--kb",
        "/nonexistent/kb.csv",
        "--questions",
        "x",
    ]);
    assert_eq!(status, 2);
    assert_eq!(err["code"], "input_unreadable");
}
