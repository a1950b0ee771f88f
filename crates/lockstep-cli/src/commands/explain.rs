//! `lockstep explain`: why a group or an account was flagged.

use crate::failure::{exit, with_code, Failure};
use anyhow::Context;

pub fn explain(id: &str, dir: &std::path::Path, json: bool) -> Result<(), Failure> {
    let path = dir.join("groups.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| {
            format!(
                "{}: cannot read (run `lockstep detect … --out {}` first)",
                path.display(),
                dir.display()
            )
        })
        .map_err(with_code(exit::INPUT_UNREADABLE))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))
        .map_err(with_code(exit::BAD_INPUT))?;
    let groups = doc["groups"].as_array().cloned().unwrap_or_default();
    let find_group = |gid: &str| groups.iter().find(|g| g["id"] == gid).cloned();
    // An account: its row in accounts.csv, then its group.
    let (account_row, group) = match find_group(id) {
        Some(g) => (None, Some(g)),
        None => {
            let path = dir.join("accounts.csv");
            let mut r = csv::Reader::from_path(&path)
                .with_context(|| format!("{}: cannot read", path.display()))
                .map_err(with_code(exit::INPUT_UNREADABLE))?;
            let headers = r
                .headers()
                .map_err(|e| Failure {
                    code: exit::BAD_INPUT,
                    err: e.into(),
                })?
                .clone();
            let mut row = None;
            for rec in r.records() {
                let rec = rec.map_err(|e| Failure {
                    code: exit::BAD_INPUT,
                    err: e.into(),
                })?;
                if rec.get(0) == Some(id) {
                    row = Some(
                        headers
                            .iter()
                            .zip(rec.iter())
                            .map(|(h, v)| (h.to_string(), v.to_string()))
                            .collect::<Vec<_>>(),
                    );
                    break;
                }
            }
            let Some(row) = row else {
                return Err(Failure {
                    code: exit::FAILURE,
                    err: anyhow::anyhow!("no group or account named {id:?} in {}", dir.display()),
                });
            };
            let gid = row
                .iter()
                .find(|(h, _)| h == "group")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let g = if gid.is_empty() {
                None
            } else {
                find_group(&gid)
            };
            (Some(row), g)
        }
    };
    if json {
        let account = account_row.map(|r| {
            r.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect::<serde_json::Map<String, serde_json::Value>>()
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"account": account, "group": group}))
                .unwrap()
        );
        return Ok(());
    }
    if let Some(row) = &account_row {
        let get = |k: &str| {
            row.iter()
                .find(|(h, _)| h == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        println!(
            "account {}  score {}  flagged {}  group {}",
            get("account"),
            get("score"),
            get("flagged"),
            if get("group").is_empty() {
                "-"
            } else {
                get("group")
            }
        );
        for reason in get("reasons").split(';').filter(|r| !r.is_empty()) {
            println!("  reason  {reason}");
        }
    }
    let Some(g) = group else {
        if account_row.is_some() {
            println!("  (in no group)");
        }
        return Ok(());
    };
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    println!(
        "\n{}  {}/{}/{}  score {}  {} accounts  {} → {}",
        s(&g["id"]),
        s(&g["label"]["label1"]),
        s(&g["label"]["label2"]),
        s(&g["label"]["label3"]),
        g["score"],
        g["size"],
        s(&g["span"]["start"]),
        s(&g["span"]["end"])
    );
    println!("  {}", s(&g["summary"]));
    println!("\n  evidence");
    for e in g["evidence"].as_array().into_iter().flatten() {
        let figs: Vec<String> = e["figures"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!(
            "    {}@{}  {}/{}  {} accounts",
            s(&e["detector"]),
            e["version"],
            s(&e["label"]["label2"]),
            s(&e["label"]["label3"]),
            e["accounts"]
        );
        println!("      {}", s(&e["summary"]));
        println!("      {}", figs.join(", "));
    }
    let shared = g["shared"].as_array().cloned().unwrap_or_default();
    if !shared.is_empty() {
        println!("\n  shared values");
        for v in shared.iter().take(15) {
            println!(
                "    {:<8} {}  ({} accounts){}",
                s(&v["kind"]),
                s(&v["value"]),
                v["accounts"],
                if v["hub"] == true {
                    "  hub: context, not evidence"
                } else {
                    ""
                }
            );
        }
    }
    // Absent in groups.json files written before linked cases existed.
    let linked = g["linked"].as_array().cloned().unwrap_or_default();
    if !linked.is_empty() {
        println!("\n  linked groups (evidence shared with other groups)");
        for l in linked.iter().take(10) {
            let others: Vec<String> = l["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            let more = l["more"].as_u64().unwrap_or(0);
            println!(
                "    {}@{}  {}{}",
                s(&l["detector"]),
                l["version"],
                others.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            );
            println!("      {}", s(&l["summary"]));
        }
    }
    let targets: Vec<String> = g["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .take(10)
        .map(s)
        .collect();
    if !targets.is_empty() {
        println!("\n  targets pushed  {}", targets.join(", "));
    }
    let members = g["members"].as_array().cloned().unwrap_or_default();
    println!("\n  members ({}; first 20)", members.len());
    for m in members.iter().take(20) {
        println!("    {}  {}", s(&m["account"]), m["score"]);
    }
    Ok(())
}
