//! Fusion: from independent findings to per-account scores, flagged decisions, groups and reasons.
//!
//! A member's evidence from one detector is the strongest finding of that detector naming it (so
//! overlapping findings of one detector are not double-counted); detectors combine as independent
//! evidence, `evidence = 1 − Π_d (1 − w_d · s_d)`, and a fitted monotone map turns that into
//! a calibrated score ([`Calibration`]). Flagged accounts that share a finding which
//! links its members (same infrastructure, same bursts — not a pitch many farms copy) are joined
//! into groups; a group's label comes from the finding that carries most of its members' weight.

use crate::finding::{DetectorId, Family, Finding, Label, SharedValue};
use crate::graph::UnionFind;
use lockstep_core::EventStore;
use std::collections::BTreeMap;

/// When an account is flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlagRule {
    /// Fused evidence at or above this (the default, 0.5: tuned on held-out seeds against the
    /// hard negatives of *organic* worlds, where calibrated scores fitted on the `mixed`
    /// scenario's farm share would flag too eagerly).
    Evidence(f32),
    /// Calibrated score at or above this.
    Score(f32),
}

/// How findings become scores, flags and groups.
#[derive(Debug, Clone)]
pub struct FusionConfig {
    /// When an account is flagged.
    pub flag: FlagRule,
    /// Per-detector weight (default 1).
    pub weights: BTreeMap<&'static str, f32>,
    /// Evidence → score.
    pub calibration: Calibration,
    /// Evidence of an account that is not corroborated (see [`Family`]) is squeezed below this,
    /// under the default flag: real crowds produce one family of evidence at a time. See
    /// [`FusionConfig::uncorroborated`].
    pub uncorroborated_cap: f32,
    /// Uncorroborated evidence up to here is kept as it is (it could not flag anyway).
    pub uncorroborated_knee: f32,
    /// Strength a family's finding needs to count towards corroboration.
    pub min_family_strength: f32,
}

impl Default for FusionConfig {
    fn default() -> Self {
        FusionConfig {
            flag: FlagRule::Evidence(0.5),
            weights: BTreeMap::new(),
            calibration: Calibration::default(),
            uncorroborated_cap: 0.45,
            uncorroborated_knee: 0.3,
            min_family_strength: 0.3,
        }
    }
}

impl FusionConfig {
    /// Uncorroborated evidence: kept up to `uncorroborated_knee`, then squeezed linearly so
    /// that 1 maps to `uncorroborated_cap`. Monotone, so such accounts keep their order
    /// (ranking metrics and analysts' queues still see which is more suspicious); clipping
    /// would tie them all.
    pub fn uncorroborated(&self, e: f32) -> f32 {
        let (k, c) = (self.uncorroborated_knee, self.uncorroborated_cap);
        if e <= k || c <= k {
            e.min(c)
        } else {
            k + (e - k) * (c - k) / (1.0 - k)
        }
    }
}

/// A monotone, piecewise-linear map from fused evidence to a calibrated score: the share of
/// farm accounts among accounts with that evidence. The default knots were fitted by isotonic
/// regression (`lockstep calibrate`) on held-out simulator runs of the `mixed` scenario (seeds
/// 101–103 at 6,000, 20,000 and 65,000 accounts, never the seeds the README reports; the largest
/// size was added because organic evidence creeps up with scale), so a score of 0.9
/// means "about 90% of accounts with this evidence were farm accounts" *at that scenario's farm
/// share*; a platform with fewer farms should read scores as relative, or refit on its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// (evidence, score), ascending in both.
    pub knots: Vec<(f32, f32)>,
}

/// Fitted by `scripts/calibrate.sh` (see [`Calibration`]).
pub const DEFAULT_KNOTS: &[(f32, f32)] = &[
    (0.0, 0.0005),
    (0.0804, 0.007),
    (0.2889, 0.0284),
    (0.3342, 0.1),
    (0.4214, 0.2857),
    (0.4789, 0.5862),
    (0.5051, 0.8125),
    (0.5735, 0.9),
    (0.6965, 0.9726),
    (0.8788, 0.9884),
    (1.0, 0.9996),
];

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            knots: DEFAULT_KNOTS.to_vec(),
        }
    }
}

impl Calibration {
    /// The identity map: scores are the raw evidence.
    pub fn identity() -> Self {
        Calibration {
            knots: vec![(0.0, 0.0), (1.0, 1.0)],
        }
    }

    /// The calibrated score of evidence `x` (piecewise linear between knots).
    pub fn apply(&self, x: f32) -> f32 {
        let k = &self.knots;
        match k.iter().position(|&(kx, _)| kx >= x) {
            None => k.last().map_or(x, |l| l.1),
            Some(0) => k[0].1,
            Some(i) => {
                let ((x0, y0), (x1, y1)) = (k[i - 1], k[i]);
                if x1 <= x0 {
                    y1
                } else {
                    y0 + (y1 - y0) * (x - x0) / (x1 - x0)
                }
            }
        }
    }
}

/// One account's verdict.
#[derive(Debug, Clone, Default)]
pub struct AccountVerdict {
    /// Calibrated score in [0, 1] (see [`Calibration`]).
    pub score: f32,
    /// The fused evidence before calibration, `1 − Π (1 − w_d · s_d)`.
    pub evidence: f32,
    /// Whether the account is flagged.
    pub flagged: bool,
    /// Index into [`Detection::groups`].
    pub group: Option<usize>,
    /// Each detector's contribution, strongest first.
    pub reasons: Vec<(DetectorId, f32)>,
    /// Whether the evidence is corroborated: coordination across surely-distinct creators
    /// beyond the crowd null model, or two independent [`Family`]s. Otherwise the evidence is
    /// scaled by [`FusionConfig::uncorroborated_cap`].
    pub corroborated: bool,
    /// The families of evidence that reached [`FusionConfig::min_family_strength`], context
    /// included (shown, never counted).
    pub families: Vec<Family>,
}

/// Whether a set of families corroborates itself: cross-creator coordination alone, a fan-out
/// DM pitch alone, a one-client campaign alone, or two families that are not context.
pub fn corroborates(families: &[Family]) -> bool {
    families.contains(&Family::CrossCreatorCoordination)
        // One pitch sent by many accounts to strangers they never engaged: no crowd does that.
        || families.contains(&Family::FanoutDm)
        // A cohort that is most of a creator's audience, back on each of its videos: judged
        // against the creator's own audience, which a fandom or loyal viewers never are.
        || families.contains(&Family::ClientPush)
        // A rating block no degree-preserving chance explains (rating graphs only).
        || families.contains(&Family::ItemBlock)
        || families.iter().filter(|&&f| f != Family::Context).count() >= 2
}

/// A group of flagged accounts joined by shared findings.
#[derive(Debug, Clone)]
pub struct Group {
    /// `G1`, `G2`, … by size, then by smallest member name.
    pub id: String,
    /// The label of the lead finding (the most member weight).
    pub label: Label,
    /// Mean score of the members.
    pub score: f32,
    /// Member accounts (store ids), sorted by name.
    pub members: Vec<u32>,
    /// Indexes of the findings behind this group.
    pub findings: Vec<usize>,
    /// Targets the findings name (at most 30, the lead finding's first).
    pub targets: Vec<u32>,
    /// First and last event time (ms) of the evidence.
    pub span: (i64, i64),
    /// Devices, IPs and texts the members share.
    pub shared: Vec<SharedValue>,
    /// One plain-language sentence.
    pub summary: String,
    /// Linked cases: findings this group shares with other groups (one DM template sent by two
    /// rings, one dense block or batch login spanning them), most specific first.
    pub linked: Vec<LinkedEvidence>,
    /// The organic-crowd explanations considered for this group, each with why it does not
    /// fit (see [`crowd_checks`]).
    pub crowd_checks: Vec<CrowdCheck>,
}

/// One organic explanation of a group considered, and why the evidence rules it out.
#[derive(Debug, Clone, PartialEq)]
pub struct CrowdCheck {
    /// What real people moving together could have produced this.
    pub explanation: &'static str,
    /// Why the group's evidence does not fit it, with the figures.
    pub rejected_because: String,
}

fn figure(f: &Finding, name: &str) -> Option<f64> {
    f.figures.iter().find(|(k, _)| *k == name).map(|&(_, v)| v)
}

/// The crowd explanations an analyst would raise for a group of flagged accounts — one
/// stimulus (trend, push, live event), a fandom of a few creators, a shared NAT (campus,
/// office, carrier), one kind of evidence — each with why the group's own evidence rules it out.
pub fn crowd_checks(
    findings: &[Finding],
    group_findings: &[usize],
    members: &[u32],
    accounts: &[AccountVerdict],
) -> Vec<CrowdCheck> {
    let lockstep = group_findings
        .iter()
        .map(|&i| &findings[i])
        .filter(|f| f.family() == Family::CrossCreatorCoordination)
        .max_by(|a, b| a.members.len().cmp(&b.members.len()));
    let mut out = Vec::new();
    let (one_stimulus, fandom) = match lockstep {
        Some(f) => (
            format!(
                "members returned to {:.1} surely-distinct creators on average, each in a separate sitting \
                 (engagements over an hour apart); a trend, push or live event moves a crowd within one sitting",
                figure(f, "mean_keys_per_member").unwrap_or(0.0)
            ),
            format!(
                "the group's bursts span {:.0} surely-distinct creators (videos of unknown creator told apart only by audiences of their own); \
                 a fandom's idols are a handful, visited again and again",
                figure(f, "surely_distinct_creators").unwrap_or(0.0)
            ),
        ),
        None => {
            let s = "not the basis of this group: no member is flagged on co-engagement alone".to_string();
            (s.clone(), s)
        }
    };
    out.push(CrowdCheck {
        explanation: "one stimulus: a trend, a push notification, a live event",
        rejected_because: one_stimulus,
    });
    let client_push = group_findings
        .iter()
        .map(|&i| &findings[i])
        .filter(|f| f.family() == Family::ClientPush)
        .max_by(|a, b| a.members.len().cmp(&b.members.len()));
    let fandom = match (lockstep, client_push) {
        (None, Some(f)) => format!(
            "one creator, but {:.0} accounts returned to its {:.0} pushed videos and are {:.0}% of everyone who engaged them;              a fandom is a small share of its idol's audience, most of whom see one video",
            figure(f, "accounts").unwrap_or(0.0),
            figure(f, "pushed_videos").unwrap_or(0.0),
            100.0 * figure(f, "cohort_share").unwrap_or(0.0)
        ),
        _ => fandom,
    };
    out.push(CrowdCheck {
        explanation: "a fandom piling onto a few idols' releases",
        rejected_because: fandom,
    });
    let circle = match (lockstep, client_push) {
        (Some(f), _) => format!(
            "the bursts counted are on {:.0} creators outside the group; {:.0} of the group's own members' content \
             was engaged too and is not counted, and {:.0} members are followed by other members (a circle's or pod's \
             creators are its own members, who follow each other; a farm's are outsiders)",
            figure(f, "surely_distinct_creators").unwrap_or(0.0),
            figure(f, "own_member_creators").unwrap_or(0.0),
            figure(f, "members_followed_by_members").unwrap_or(0.0)
        ),
        (None, Some(_)) => "the pushed creator is not one of the group's accounts; a circle reacts to its own members' posts"
            .to_string(),
        (None, None) => {
            "not the basis of this group: no member is flagged on co-engagement alone".to_string()
        }
    };
    out.push(CrowdCheck {
        explanation: "a friend circle or creator pod: members reacting to each other's posts",
        rejected_because: circle,
    });
    let has = |fam: Family| group_findings.iter().any(|&i| findings[i].family() == fam);
    let devices = group_findings
        .iter()
        .map(|&i| &findings[i])
        .filter(|f| f.family() == Family::SharedDevices)
        .filter_map(|f| figure(f, "devices_with_several_accounts"))
        .fold(0.0f64, f64::max);
    out.push(CrowdCheck {
        explanation: "a campus, office or carrier NAT: many people behind a few IPs",
        rejected_because: if has(Family::SharedDevices) {
            format!(
                "{devices:.0} devices carried several accounts; a NAT's users each have their own phone"
            )
        } else if has(Family::Context) {
            "the shared IPs carried single-account phones only: shown as context, counted for nothing"
                .to_string()
        } else {
            "no shared IPs or devices are part of the evidence".to_string()
        },
    });
    let (mut cross, mut dm, mut push, mut multi) = (0, 0, 0, 0);
    for &a in members {
        let fams = &accounts[a as usize].families;
        if fams.contains(&Family::CrossCreatorCoordination) {
            cross += 1;
        } else if fams.contains(&Family::FanoutDm) {
            dm += 1;
        } else if fams.contains(&Family::ClientPush) {
            push += 1;
        } else {
            multi += 1;
        }
    }
    out.push(CrowdCheck {
        explanation: "one kind of evidence, as real crowds produce one at a time",
        rejected_because: format!(
            "every member is corroborated: {cross} by coordination across creators beyond the crowd null, \
             {dm} by a fan-out DM pitch, {push} by a one-client campaign that is most of its creator's audience, \
             {multi} by two independent families of evidence"
        ),
    });
    out
}

/// A finding whose flagged members fall in this group and in others: the rings are separate
/// groups (no linking evidence joins them) but this evidence ties them together.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedEvidence {
    /// Index of the finding in [`Detection::findings`].
    pub finding: usize,
    /// The other groups (indexes into [`Detection::groups`], ascending), at most
    /// [`MAX_LINKED_LISTED`].
    pub groups: Vec<usize>,
    /// How many other groups the finding reaches in all.
    pub n_groups: usize,
}

/// Linked findings kept per group, and other groups listed per finding.
pub const MAX_LINKED: usize = 20;
/// Other groups listed per linked finding.
pub const MAX_LINKED_LISTED: usize = 10;

/// Everything `detect` decided.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// Every detector's findings.
    pub findings: Vec<Finding>,
    /// Indexed by account id.
    pub accounts: Vec<AccountVerdict>,
    /// Groups of flagged accounts (cases).
    pub groups: Vec<Group>,
}

impl Detection {
    /// Accounts flagged.
    pub fn n_flagged(&self) -> usize {
        self.accounts.iter().filter(|a| a.flagged).count()
    }
}

/// Fuse findings into account verdicts and groups (the steps below, in order).
pub fn fuse(store: &EventStore, findings: Vec<Finding>, cfg: &FusionConfig) -> Detection {
    let mut accounts = account_verdicts(store.n_accounts(), &findings, cfg);
    let comps = flagged_groups(store, &findings, &accounts);
    let cases = Cases::of(store.n_accounts(), &findings, &comps);
    let mut groups = build_groups(&findings, &mut accounts, comps, cases);
    for g in groups.iter_mut() {
        g.crowd_checks = crowd_checks(&findings, &g.findings, &g.members, &accounts);
    }
    Detection {
        findings,
        accounts,
        groups,
    }
}

/// Step 1. Each account's verdict: per detector its strongest finding, combined as independent
/// evidence, corroboration by family, calibration and the flag.
fn account_verdicts(n: usize, findings: &[Finding], cfg: &FusionConfig) -> Vec<AccountVerdict> {
    // Strongest strength per (account, detector).
    // Context (a NAT of single-account phones) is shown with the evidence but adds nothing.
    let mut per: Vec<BTreeMap<DetectorId, f32>> = vec![BTreeMap::new(); n];
    let mut fams: Vec<Vec<Family>> = vec![Vec::new(); n];
    for f in findings {
        let family = f.family();
        for &(a, s) in &f.members {
            let s = s.clamp(0.0, 1.0);
            let w = cfg.weights.get(f.detector.id).copied().unwrap_or(1.0);
            if w * s >= cfg.min_family_strength && !fams[a as usize].contains(&family) {
                fams[a as usize].push(family);
            }
            if family == Family::Context {
                continue;
            }
            let e = per[a as usize].entry(f.detector).or_insert(0.0);
            *e = e.max(s);
        }
    }
    per.into_iter()
        .zip(fams)
        .map(|(m, mut families)| {
            let mut keep = 1.0f32;
            let mut reasons: Vec<(DetectorId, f32)> = Vec::new();
            for (d, s) in m {
                let w = cfg.weights.get(d.id).copied().unwrap_or(1.0);
                let c = (w * s).clamp(0.0, 1.0);
                keep *= 1.0 - c;
                if c > 0.0 {
                    reasons.push((d, c));
                }
            }
            reasons.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            families.sort_unstable();
            let corroborated = corroborates(&families);
            let mut evidence = (1.0 - keep).clamp(0.0, 1.0);
            if !corroborated {
                evidence = cfg.uncorroborated(evidence);
            }
            let score = cfg.calibration.apply(evidence).clamp(0.0, 1.0);
            AccountVerdict {
                score,
                evidence,
                flagged: match cfg.flag {
                    FlagRule::Evidence(t) => evidence >= t,
                    FlagRule::Score(t) => score >= t,
                },
                group: None,
                reasons,
                corroborated,
                families,
            }
        })
        .collect()
}

/// Step 2. Flagged accounts joined by findings that link members, each group sorted by name,
/// groups by size then first name (so ids are stable).
fn flagged_groups(
    store: &EventStore,
    findings: &[Finding],
    accounts: &[AccountVerdict],
) -> Vec<Vec<u32>> {
    let n = store.n_accounts();
    let mut uf = UnionFind::new(n);
    for f in findings.iter().filter(|f| f.links_members) {
        let mut flagged = f
            .members
            .iter()
            .map(|&(a, _)| a)
            .filter(|&a| accounts[a as usize].flagged);
        if let Some(first) = flagged.next() {
            for a in flagged {
                uf.union(first, a);
            }
        }
    }
    let mut comps: Vec<Vec<u32>> = uf
        .components(2)
        .into_iter()
        .map(|c| {
            c.into_iter()
                .filter(|&a| accounts[a as usize].flagged)
                .collect::<Vec<_>>()
        })
        .filter(|c| c.len() >= 2)
        .collect();
    for c in comps.iter_mut() {
        c.sort_by(|&a, &b| store.accounts.name(a).cmp(store.accounts.name(b)));
    }
    comps.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then_with(|| store.accounts.name(a[0]).cmp(store.accounts.name(b[0])))
    });
    comps
}

/// Step 3. Which findings name members of each group, and the linked cases: findings whose
/// flagged members fall in several groups.
struct Cases {
    finding_of_root: BTreeMap<usize, Vec<usize>>,
    group_of_account: Vec<Option<usize>>,
    linked_of: Vec<Vec<LinkedEvidence>>,
}

impl Cases {
    fn of(n: usize, findings: &[Finding], comps: &[Vec<u32>]) -> Cases {
        let mut finding_of_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut group_of_account: Vec<Option<usize>> = vec![None; n];
        for (g, c) in comps.iter().enumerate() {
            for &a in c {
                group_of_account[a as usize] = Some(g);
            }
        }
        let mut linked_of: Vec<Vec<LinkedEvidence>> = vec![Vec::new(); comps.len()];
        for (i, f) in findings.iter().enumerate() {
            let mut gs: Vec<usize> = f
                .members
                .iter()
                .filter_map(|&(a, _)| group_of_account[a as usize])
                .collect();
            gs.sort_unstable();
            gs.dedup();
            if gs.len() >= 2 {
                for &g in &gs {
                    linked_of[g].push(LinkedEvidence {
                        finding: i,
                        groups: gs
                            .iter()
                            .copied()
                            .filter(|&o| o != g)
                            .take(MAX_LINKED_LISTED)
                            .collect(),
                        n_groups: gs.len() - 1,
                    });
                }
            }
            for g in gs {
                finding_of_root.entry(g).or_default().push(i);
            }
        }
        // Most specific links first (a finding shared with one other group says more than one
        // spread over fifty); ties in finding order.
        for l in linked_of.iter_mut() {
            l.sort_by_key(|x| (x.n_groups, x.finding));
            l.truncate(MAX_LINKED);
        }
        Cases {
            finding_of_root,
            group_of_account,
            linked_of,
        }
    }
}

/// Step 4. The groups: lead finding (most member weight), score, span, targets, shared values,
/// summary; members learn their group.
fn build_groups(
    findings: &[Finding],
    accounts: &mut [AccountVerdict],
    comps: Vec<Vec<u32>>,
    cases: Cases,
) -> Vec<Group> {
    let Cases {
        mut finding_of_root,
        group_of_account,
        mut linked_of,
    } = cases;
    comps
        .into_iter()
        .enumerate()
        .map(|(g, members)| {
            let fids = finding_of_root.remove(&g).unwrap_or_default();
            // The finding carrying most member weight names the group.
            let lead = fids
                .iter()
                .copied()
                .max_by(|&x, &y| {
                    let w = |i: usize| {
                        findings[i]
                            .members
                            .iter()
                            .filter(|&&(a, _)| group_of_account[a as usize] == Some(g))
                            .map(|&(_, s)| s as f64)
                            .sum::<f64>()
                    };
                    w(x).total_cmp(&w(y)).then(y.cmp(&x))
                })
                .expect("a group comes from at least one finding");
            let score = members
                .iter()
                .map(|&a| accounts[a as usize].score)
                .sum::<f32>()
                / members.len() as f32;
            let span = fids.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &i| {
                (lo.min(findings[i].span.0), hi.max(findings[i].span.1))
            });
            let mut targets: Vec<u32> = Vec::new();
            let mut shared: Vec<SharedValue> = Vec::new();
            for &i in &fids {
                for &t in &findings[i].targets {
                    if !targets.contains(&t) && targets.len() < 30 {
                        targets.push(t);
                    }
                }
                for s in &findings[i].shared {
                    if !shared
                        .iter()
                        .any(|x| x.kind == s.kind && x.value == s.value)
                        && shared.len() < 60
                    {
                        shared.push(s.clone());
                    }
                }
            }
            let detectors: Vec<String> = {
                let mut d: Vec<String> = fids
                    .iter()
                    .map(|&i| findings[i].detector.id.to_string())
                    .collect();
                d.sort();
                d.dedup();
                d
            };
            let summary = format!(
                "{} flagged accounts. Evidence from {} ({}). {}",
                members.len(),
                detectors.join(", "),
                if fids.len() == 1 {
                    "1 finding".to_string()
                } else {
                    format!("{} findings", fids.len())
                },
                findings[lead].summary
            );
            for &a in &members {
                accounts[a as usize].group = Some(g);
            }
            Group {
                id: format!("G{}", g + 1),
                label: findings[lead].label.clone(),
                score,
                members,
                findings: fids,
                targets,
                span,
                shared,
                summary,
                linked: std::mem::take(&mut linked_of[g]),
                crowd_checks: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod calibration_tests {
    use super::*;

    #[test]
    fn calibration_interpolates_and_clamps() {
        let c = Calibration {
            knots: vec![(0.0, 0.01), (0.5, 0.5), (1.0, 0.9)],
        };
        assert_eq!(c.apply(0.0), 0.01);
        assert!((c.apply(0.25) - 0.255).abs() < 1e-6);
        assert!((c.apply(0.75) - 0.7).abs() < 1e-6);
        assert_eq!(c.apply(1.0), 0.9);
        assert_eq!(Calibration::identity().apply(0.37), 0.37);
    }

    #[test]
    fn default_knots_are_monotone_and_in_range() {
        let k = DEFAULT_KNOTS;
        assert!(k.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
        assert!(k
            .iter()
            .all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)));
        let c = Calibration::default();
        // The default flag (evidence ≥ 0.5) sits well above an even chance.
        assert!(c.apply(0.5) > 0.5);
    }
}

#[cfg(test)]
mod linked_tests {
    use super::*;
    use crate::testkit::push;
    use lockstep_core::EventStoreBuilder;

    fn finding(id: &'static str, members: &[u32], links: bool) -> Finding {
        Finding {
            detector: crate::DetectorId { id, version: 1 },
            label: crate::Label {
                label1: "group_control",
                label2: "test",
                // A ring's co-engagement stands alone (see `Family`).
                label3: if id == "ring" {
                    "lockstep_engagement"
                } else {
                    id
                },
            },
            members: members.iter().map(|&a| (a, 0.9)).collect(),
            targets: Vec::new(),
            span: (0, 1),
            shared: Vec::new(),
            figures: Vec::new(),
            summary: format!("{id} finding"),
            links_members: links,
        }
    }

    /// Two rings, each held together by its own linking finding, and one DM template (a
    /// non-linking finding) sent by members of both: two groups, each listing the other as
    /// linked through that template — and a third, unrelated ring links to nobody.
    #[test]
    fn a_finding_shared_by_two_groups_links_them_without_merging() {
        let mut b = EventStoreBuilder::new();
        for a in 0..9 {
            push(&mut b, a, &format!("a{a}"), "view", "v");
        }
        let store = b.finish();
        let findings = vec![
            finding("ring", &[0, 1, 2], true),
            finding("ring", &[3, 4, 5], true),
            finding("ring", &[6, 7, 8], true),
            finding("template", &[1, 2, 4], false),
        ];
        let det = fuse(&store, findings, &FusionConfig::default());
        assert_eq!(det.groups.len(), 3);
        let group_of = |a: u32| det.accounts[a as usize].group.unwrap();
        let (g1, g2, g3) = (group_of(0), group_of(3), group_of(6));
        assert!(g1 != g2 && g2 != g3 && g1 != g3);
        let linked = |g: usize| &det.groups[g].linked;
        assert_eq!(linked(g1).len(), 1);
        assert_eq!(linked(g1)[0].groups, vec![g2]);
        assert_eq!(linked(g2)[0].groups, vec![g1]);
        assert_eq!(linked(g1)[0].n_groups, 1);
        assert_eq!(det.findings[linked(g1)[0].finding].detector.id, "template");
        assert!(linked(g3).is_empty());
    }

    fn labelled(label3: &'static str, members: &[u32], s: f32) -> Finding {
        let mut f = finding(label3, members, true);
        f.label.label3 = label3;
        f.members = members.iter().map(|&a| (a, s)).collect();
        f
    }

    /// A campus at the bell: a batch login (coordination) behind a NAT of single-account
    /// phones (context) is one family and is not flagged, however strong; the same login with
    /// phones that carry several accounts is two families and is.
    #[test]
    fn one_family_of_evidence_does_not_flag() {
        let mut b = EventStoreBuilder::new();
        for a in 0..6 {
            push(&mut b, a, &format!("a{a}"), "login", "");
        }
        let store = b.finish();
        let campus = vec![
            labelled("batch_login", &[0, 1, 2, 3, 4, 5], 0.9),
            labelled("ip_cluster", &[0, 1, 2, 3, 4, 5], 1.0),
        ];
        let det = fuse(&store, campus, &FusionConfig::default());
        assert_eq!(det.n_flagged(), 0);
        let v = &det.accounts[0];
        assert!(!v.corroborated && v.evidence <= 0.45, "{v:?}");
        // Squeezed, not clipped: order survives, the flag stays out of reach.
        let cfg = FusionConfig::default();
        assert_eq!(cfg.uncorroborated(0.2), 0.2);
        assert!(cfg.uncorroborated(0.6) < cfg.uncorroborated(0.9));
        assert!(cfg.uncorroborated(1.0) <= 0.45 + 1e-6);
        assert_eq!(v.families, vec![Family::Coordination, Family::Context]);
        let farm = vec![
            labelled("batch_login", &[0, 1, 2, 3, 4, 5], 0.9),
            labelled("device_rotation_ip_cluster", &[0, 1, 2, 3, 4, 5], 0.6),
        ];
        let det = fuse(&store, farm, &FusionConfig::default());
        assert_eq!(det.n_flagged(), 6);
        // Coordination across surely-distinct creators beyond the crowd null stands alone.
        let lockstep = vec![labelled("lockstep_engagement", &[0, 1, 2, 3, 4, 5], 0.8)];
        assert_eq!(
            fuse(&store, lockstep, &FusionConfig::default()).n_flagged(),
            6
        );
    }
}
