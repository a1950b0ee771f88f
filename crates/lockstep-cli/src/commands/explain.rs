//! `lockstep explain`: why a group or an account was flagged.

use crate::failure::{exit, with_code, Failure};
use anyhow::Context;
use lockstep_schema::GroupsDoc;

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
    // Typed: a renamed or missing field fails here, naming it, instead of printing blanks.
    let doc = GroupsDoc::parse(&text)
        .with_context(|| format!("{}: not a groups.json document", path.display()))
        .map_err(with_code(exit::BAD_INPUT))?;
    let find_group = |gid: &str| doc.group(gid);
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
    println!(
        "\n{}  {}/{}/{}  score {}  {} accounts  {} → {}",
        g.id,
        g.label.label1,
        g.label.label2,
        g.label.label3,
        g.score,
        g.size,
        g.span.start,
        g.span.end
    );
    println!("  {}", g.summary);
    if !g.crowd_checks.is_empty() {
        println!("\n  crowd explanations considered");
        for c in &g.crowd_checks {
            println!("    {}", c.explanation);
            println!("      no: {}", c.rejected_because);
        }
    }
    println!("\n  evidence");
    for e in &g.evidence {
        let figs: Vec<String> = e.figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "    {}@{}  {}/{}  {} accounts",
            e.detector, e.version, e.label.label2, e.label.label3, e.accounts
        );
        println!("      {}", e.summary);
        println!("      {}", figs.join(", "));
    }
    if !g.shared.is_empty() {
        println!("\n  shared values");
        for v in g.shared.iter().take(15) {
            println!(
                "    {:<8} {}  ({} accounts){}",
                v.kind,
                v.value,
                v.accounts,
                if v.hub {
                    "  hub: context, not evidence"
                } else {
                    ""
                }
            );
        }
    }
    if !g.linked.is_empty() {
        println!("\n  linked groups (evidence shared with other groups)");
        for l in g.linked.iter().take(10) {
            println!(
                "    {}@{}  {}{}",
                l.detector,
                l.version,
                l.groups.join(", "),
                if l.more > 0 {
                    format!(" (+{} more)", l.more)
                } else {
                    String::new()
                }
            );
            println!("      {}", l.summary);
        }
    }
    let targets: Vec<&str> = g.targets.iter().take(10).map(|t| t.as_ref()).collect();
    if !targets.is_empty() {
        println!("\n  targets pushed  {}", targets.join(", "));
    }
    println!("\n  members ({}; first 20)", g.members.len());
    for m in g.members.iter().take(20) {
        println!("    {}  {}", m.account, m.score);
    }
    Ok(())
}
