//! Bearer tokens and roles. The tokens file has one `ROLE TOKEN [NAME]` per line (`#` starts a
//! comment); roles are `ingest` (post events), `viewer` (read), `analyst` (read, and verdicts
//! when they come) and `admin` (everything, including flush).

use crate::ServeError;
use hashbrown::HashMap;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Post events, nothing else.
    Ingest,
    /// Read accounts, videos, cases, stats and metrics.
    Viewer,
    /// A viewer who may also record verdicts.
    Analyst,
    /// Everything, including `POST /v1/flush`.
    Admin,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "ingest" => Role::Ingest,
            "viewer" => Role::Viewer,
            "analyst" => Role::Analyst,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    /// Whether this role may do what `needed` allows. Viewer ⊂ analyst ⊂ admin; ingest is apart
    /// (a producer's token reads nothing), and admin may also ingest.
    pub fn allows(self, needed: Role) -> bool {
        match needed {
            Role::Ingest => matches!(self, Role::Ingest | Role::Admin),
            _ => self != Role::Ingest && self >= needed,
        }
    }
}

/// Who a token belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's role.
    pub role: Role,
    /// The name on its line (the role when none), for the audit trail.
    pub name: String,
}

/// The tokens file, parsed.
#[derive(Debug, Clone, Default)]
pub struct Tokens(HashMap<String, Principal>);

impl Tokens {
    /// Parse a tokens file's text; `path` names it in errors.
    pub fn parse(path: &str, text: &str) -> Result<Tokens, ServeError> {
        let mut map = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |message: String| ServeError::Tokens {
                path: path.into(),
                line: i + 1,
                message,
            };
            let mut parts = line.split_whitespace();
            let (role, token) = (parts.next().unwrap_or(""), parts.next());
            let role = Role::parse(role).ok_or_else(|| {
                bad(format!(
                    "unknown role {role:?} (expected ingest, viewer, analyst or admin)"
                ))
            })?;
            let token = token.ok_or_else(|| bad("missing token after the role".into()))?;
            if token.len() < 8 {
                return Err(bad("token shorter than 8 characters".into()));
            }
            let name = parts.collect::<Vec<_>>().join(" ");
            let name = if name.is_empty() {
                format!("{role:?}").to_lowercase()
            } else {
                name
            };
            if map
                .insert(token.to_string(), Principal { role, name })
                .is_some()
            {
                return Err(bad("token listed twice".into()));
            }
        }
        if map.is_empty() {
            return Err(ServeError::Tokens {
                path: path.into(),
                line: 0,
                message: "no tokens: the server would refuse every request".into(),
            });
        }
        Ok(Tokens(map))
    }

    /// The principal behind an `Authorization` header value (`Bearer TOKEN`).
    pub fn check(&self, header: Option<&str>) -> Option<&Principal> {
        let token = header?.strip_prefix("Bearer ")?.trim();
        self.0.get(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_and_ingest_stands_apart() {
        assert!(Role::Admin.allows(Role::Viewer));
        assert!(Role::Admin.allows(Role::Ingest));
        assert!(Role::Analyst.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Analyst));
        assert!(!Role::Ingest.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Ingest));
    }

    #[test]
    fn tokens_file_errors_name_the_line() {
        let t = Tokens::parse(
            "t",
            "# who\ningest producer-token-1 kafka bridge\nadmin admin-token-1\n",
        )
        .unwrap();
        let p = t.check(Some("Bearer producer-token-1")).unwrap();
        assert_eq!((p.role, p.name.as_str()), (Role::Ingest, "kafka bridge"));
        assert!(t.check(Some("Bearer nope")).is_none());
        assert!(t.check(Some("producer-token-1")).is_none());
        let e = Tokens::parse("t", "viewer abcdefgh\nroot abcdefghi\n").unwrap_err();
        assert!(e.to_string().contains("t:2"), "{e}");
        assert!(Tokens::parse("t", "viewer short").is_err());
        assert!(Tokens::parse("t", "viewer abcdefgh\nadmin abcdefgh").is_err());
        assert!(Tokens::parse("t", "# nothing\n").is_err());
    }
}
