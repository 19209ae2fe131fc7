mod bot;
mod kb;
mod serve;
mod sim;
mod wfm;

use serde_json::Value;
use std::process::{Command, Output};

/// Runs `kefu <args>` and returns (exit code, stdout JSON or Null, stderr JSON or Null).
pub fn kefu(args: &[&str]) -> (i32, Value, Value) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_kefu"))
        .args(args)
        .output()
        .unwrap();
    let parse = |bytes: &[u8]| serde_json::from_slice(bytes).unwrap_or(Value::Null);
    (
        output.status.code().unwrap_or(-1),
        parse(&output.stdout),
        parse(&output.stderr),
    )
}

pub fn close(actual: &Value, expected: f64, tolerance: f64) -> bool {
    actual
        .as_f64()
        .is_some_and(|v| (v - expected).abs() <= tolerance)
}
