//! Shared infrastructure: accounts that a console drives share phones (several accounts rotated
//! on one device) and sit behind a few Wi-Fi/4G IPs or a small proxy pool.
//!
//! **Idea.** The account–device–IP graph, as in the device-aggregation and IP-aggregation signals
//! of commercial risk engines (Volcengine `14002 设备聚集异常` / `13004 IP异常聚集`), rebuilt from
//! logs. Accounts are joined when they share a device, or an IP that is not a *hub*; a joined
//! component of at least `min_group` accounts is a finding.
//!
//! **Hub rule.** Carrier CGNAT, campus and office IPs are shared by hundreds of real users. What
//! separates them from a farm's IPs is not their size but where their devices go next: a CGNAT
//! user also goes home, so the devices behind a hub reach about as many *other* IPs as there are
//! devices; a farm's phones only ever see the farm's few IPs. An IP is a hub when its devices
//! together use at least `hub_reach` × (its device count) distinct IPs, or when it has more than
//! `hub_max_devices` devices. Hubs are reported as context, never used to join accounts (the rule
//! Didit's "Networks" product applies to shared hubs).
//!
//! **Strength** of a member: a size factor (log of component size) times the share of the
//! member's own events made on the component's shared devices or non-hub IPs.
//!
//! **Complexity.** O(E log d) to deduplicate each account's (account, device), (device, IP) and
//! (account, IP) pairs (d = events of an account), O(P log P) to sort the P distinct pairs; O(P · deg) for the hub test over pairs P; near-linear union-find.

use crate::finding::{Detector, DetectorId, Finding, Label, SharedValue};
use crate::graph::UnionFind;
use crate::util::top_targets;
use lockstep_core::{EventStore, NONE_ID};
use rayon::prelude::*;

/// Devices carrying several accounts, and the IPs those devices use (see the module doc).
#[derive(Debug, Clone)]
pub struct SharedInfraDetector {
    /// Smallest group reported.
    pub min_group: usize,
    /// An IP is a hub when its devices reach at least this many distinct IPs per device.
    pub hub_reach: f64,
    /// An IP with more devices than this is a hub regardless.
    pub hub_max_devices: usize,
}

impl Default for SharedInfraDetector {
    fn default() -> Self {
        SharedInfraDetector {
            min_group: 5,
            // Measured on simulated `mixed` logs (seeds 2–4, 1 and 3 days, IPs with ≥ 10
            // devices): farm IPs reach ≤ 0.30 other IPs per device — structurally (pool − 1) /
            // devices — and organic CGNAT/office IPs ≥ 0.44. 0.36 sits in the gap. A farm with
            // fewer than about three phones per IP of its pool would look like a hub.
            hub_reach: 0.36,
            hub_max_devices: 2_000,
        }
    }
}

/// This detector's id and version.
pub const ID: DetectorId = DetectorId {
    id: "shared_infra",
    version: 1,
};

/// Sorted, deduplicated `(key(e), value(e))` pairs over each account's events, where `key` is
/// constant within an account's events or varies little. Deduplicating per account first keeps
/// the global sort to distinct pairs instead of all E events (fewer pages touched, less sorting).
fn account_pairs(
    store: &EventStore,
    f: impl Fn(usize) -> Option<(u32, u32)> + Sync + Send,
) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = (0..store.n_accounts() as u32)
        .into_par_iter()
        .flat_map_iter(|a| {
            let mut p: Vec<(u32, u32)> = store
                .events_of_account(a)
                .iter()
                .filter_map(|&e| f(e as usize))
                .collect();
            p.sort_unstable();
            p.dedup();
            p
        })
        .collect();
    // Keyed by the account itself, the pairs come out sorted and distinct already (accounts
    // in order, each deduplicated): checking is O(n), sorting again is not needed. (One
    // gather for all three lists was tried: no faster, and holding every account's three
    // lists at once raised the 10M-event peak RSS from 0.88 to 1.22 GB.)
    if !v.is_sorted() {
        v.par_sort_unstable();
        v.dedup();
    }
    v
}

/// Group sorted pairs by their first element: offsets into the pair list.
fn group_offsets(p: &[(u32, u32)], n_keys: usize) -> Vec<usize> {
    let mut off = vec![0usize; n_keys + 1];
    for &(a, _) in p {
        off[a as usize + 1] += 1;
    }
    for i in 0..n_keys {
        off[i + 1] += off[i];
    }
    off
}

impl SharedInfraDetector {
    /// Which IPs are hubs, by the reach rule (indexed by IP id).
    pub fn hubs(&self, store: &EventStore) -> Vec<bool> {
        let (node_ip, n_nodes) = self.node_ip_pairs(store);
        let n_ips = store.ips.len();
        // ip -> nodes, node -> ips
        let mut ip_node: Vec<(u32, u32)> = node_ip.iter().map(|&(d, i)| (i, d)).collect();
        ip_node.par_sort_unstable();
        let ip_off = group_offsets(&ip_node, n_ips);
        let node_off = group_offsets(&node_ip, n_nodes);
        // One IP-sized stamp array per rayon job, so keep jobs coarse.
        (0..n_ips)
            .into_par_iter()
            .with_min_len(4096)
            .map_init(
                || (vec![u32::MAX; n_ips], 0u32),
                |(stamp, gen), ip| {
                    let nodes = &ip_node[ip_off[ip]..ip_off[ip + 1]];
                    let k = nodes.len();
                    if k > self.hub_max_devices {
                        return true;
                    }
                    if k < 3 {
                        return false;
                    }
                    *gen += 1;
                    let mut reach = 0usize;
                    for &(_, d) in nodes {
                        for &(_, other) in &node_ip[node_off[d as usize]..node_off[d as usize + 1]]
                        {
                            if stamp[other as usize] != *gen {
                                stamp[other as usize] = *gen;
                                reach += 1;
                            }
                        }
                    }
                    // The IP itself is reached by all; count the others.
                    (reach - 1) as f64 >= self.hub_reach * k as f64
                },
            )
            .collect()
    }

    /// (node, ip) pairs where a node is the device, or the account when the event has no device.
    fn node_ip_pairs(&self, store: &EventStore) -> (Vec<(u32, u32)>, usize) {
        let nd = store.devices.len() as u32;
        let p = account_pairs(store, |e| {
            let ip = store.ip[e];
            if ip == NONE_ID {
                return None;
            }
            let d = store.device[e];
            Some((
                if d == NONE_ID {
                    nd + store.account[e]
                } else {
                    d
                },
                ip,
            ))
        });
        (p, nd as usize + store.n_accounts())
    }
}

impl Detector for SharedInfraDetector {
    fn id(&self) -> DetectorId {
        ID
    }

    fn detect(&self, store: &EventStore) -> Vec<Finding> {
        let n_acc = store.n_accounts();
        let hub = self.hubs(store);
        let acc_dev = account_pairs(store, |e| {
            let d = store.device[e];
            (d != NONE_ID).then(|| (store.account[e], d))
        });
        let acc_ip = account_pairs(store, |e| {
            let ip = store.ip[e];
            (ip != NONE_ID).then(|| (store.account[e], ip))
        });
        let mut uf = UnionFind::new(n_acc);
        // Join accounts on a device.
        let mut dev_acc: Vec<(u32, u32)> = acc_dev.iter().map(|&(a, d)| (d, a)).collect();
        dev_acc.par_sort_unstable();
        for w in dev_acc.windows(2) {
            if w[0].0 == w[1].0 {
                uf.union(w[0].1, w[1].1);
            }
        }
        // Join accounts on a non-hub IP.
        let mut ip_acc: Vec<(u32, u32)> = acc_ip
            .iter()
            .filter(|&&(_, ip)| !hub[ip as usize])
            .map(|&(a, ip)| (ip, a))
            .collect();
        ip_acc.par_sort_unstable();
        for w in ip_acc.windows(2) {
            if w[0].0 == w[1].0 {
                uf.union(w[0].1, w[1].1);
            }
        }
        let comps = uf.components(self.min_group);
        comps
            .into_par_iter()
            .flat_map_iter(|members| self.finding(store, &members, &hub))
            .collect()
    }
}

impl SharedInfraDetector {
    /// The component's finding — split in two when some members share devices and others only
    /// IPs: a member behind the same NAT or proxy as a phone that carries several accounts has
    /// not itself shared a device (its evidence is context; see [`crate::Family`]).
    fn finding(&self, store: &EventStore, members: &[u32], hub: &[bool]) -> Vec<Finding> {
        use std::collections::BTreeMap;
        let n = members.len();
        let mut devs: BTreeMap<u32, u32> = BTreeMap::new();
        let mut ips: BTreeMap<u32, u32> = BTreeMap::new();
        let (mut t0, mut t1) = (i64::MAX, i64::MIN);
        for &a in members {
            let mut seen_d: Vec<u32> = Vec::new();
            let mut seen_i: Vec<u32> = Vec::new();
            for &e in store.events_of_account(a) {
                let e = e as usize;
                if store.device[e] != NONE_ID {
                    seen_d.push(store.device[e]);
                }
                if store.ip[e] != NONE_ID {
                    seen_i.push(store.ip[e]);
                }
                t0 = t0.min(store.ts[e]);
                t1 = t1.max(store.ts[e]);
            }
            seen_d.sort_unstable();
            seen_d.dedup();
            seen_i.sort_unstable();
            seen_i.dedup();
            for d in seen_d {
                *devs.entry(d).or_default() += 1;
            }
            for i in seen_i {
                *ips.entry(i).or_default() += 1;
            }
        }
        let shared_dev = |d: u32| devs.get(&d).copied().unwrap_or(0) >= 2;
        let shared_ip = |i: u32| !hub[i as usize] && ips.get(&i).copied().unwrap_or(0) >= 2;
        let n_rot = devs.values().filter(|&&c| c >= 2).count();
        let n_shared_ips = ips
            .iter()
            .filter(|&(&i, &c)| c >= 2 && !hub[i as usize])
            .count();
        let n_hubs = ips.keys().filter(|&&i| hub[i as usize]).count();
        let size_factor = ((n as f64 / (self.min_group as f64 - 1.0)).log2() / 3.0).clamp(0.0, 1.0);
        // Many accounts concentrated on few shared IPs is the farm signature.
        let per_ip = if n_shared_ips == 0 {
            1.0
        } else {
            (n as f64 / n_shared_ips as f64 / 5.0).min(1.0)
        };
        let mut total_events = 0u64;
        let mut shared_events = 0u64;
        let mut on_shared_device: Vec<bool> = Vec::with_capacity(members.len());
        let strengths: Vec<(u32, f32)> = members
            .iter()
            .map(|&a| {
                let evs = store.events_of_account(a);
                on_shared_device.push(evs.iter().any(|&e| {
                    let d = store.device[e as usize];
                    d != NONE_ID && shared_dev(d)
                }));
                let s = evs
                    .iter()
                    .filter(|&&e| {
                        let e = e as usize;
                        (store.device[e] != NONE_ID && shared_dev(store.device[e]))
                            || (store.ip[e] != NONE_ID && shared_ip(store.ip[e]))
                    })
                    .count();
                total_events += evs.len() as u64;
                shared_events += s as u64;
                let conc = s as f64 / evs.len().max(1) as f64;
                (a, (size_factor * per_ip * conc) as f32)
            })
            .collect();
        let concentration = shared_events as f64 / total_events.max(1) as f64;
        if size_factor * per_ip * concentration < 0.05 {
            return Vec::new();
        }
        let mut shared: Vec<SharedValue> = Vec::new();
        let mut dv: Vec<(u32, u32)> = devs
            .iter()
            .filter(|&(_, &c)| c >= 2)
            .map(|(&d, &c)| (d, c))
            .collect();
        dv.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (d, c) in dv.into_iter().take(20) {
            shared.push(SharedValue {
                kind: "device",
                value: store.devices.name(d).to_string(),
                accounts: c,
                hub: false,
            });
        }
        let mut iv: Vec<(u32, u32)> = ips
            .iter()
            .filter(|&(_, &c)| c >= 2)
            .map(|(&i, &c)| (i, c))
            .collect();
        iv.sort_by(|a, b| {
            hub[a.0 as usize]
                .cmp(&hub[b.0 as usize])
                .then(b.1.cmp(&a.1))
                .then(a.0.cmp(&b.0))
        });
        for (i, c) in iv.into_iter().take(30) {
            shared.push(SharedValue {
                kind: "ip",
                value: store.ips.name(i).to_string(),
                accounts: c,
                hub: hub[i as usize],
            });
        }
        let targets = top_targets(store, members, 20);
        let label3 = if n_rot > 0 {
            "device_rotation_ip_cluster"
        } else {
            "ip_cluster"
        };
        let main = Finding {
            links_members: true,
            detector: ID,
            label: Label { label1: "group_control", label2: "shared_infrastructure", label3 },
            members: strengths,
            targets,
            span: (t0, t1),
            shared,
            figures: vec![
                ("accounts", n as f64),
                ("devices", devs.len() as f64),
                ("devices_with_several_accounts", n_rot as f64),
                ("shared_non_hub_ips", n_shared_ips as f64),
                ("hub_ips_touched", n_hubs as f64),
                ("share_of_events_on_shared_infra", concentration),
            ],
            summary: format!(
                "{n} accounts on {} devices ({n_rot} carrying several accounts) behind {n_shared_ips} shared non-hub IPs; \
                 {:.0}% of their events use this shared infrastructure.",
                devs.len(),
                concentration * 100.0
            ),
        };
        if n_rot == 0 || on_shared_device.iter().all(|&x| x) {
            return vec![main];
        }
        // Members that never used a shared device: the same cluster, as context.
        let (with_dev, without): (Vec<_>, Vec<_>) = main
            .members
            .iter()
            .zip(&on_shared_device)
            .partition(|(_, &d)| d);
        let with_dev: Vec<(u32, f32)> = with_dev.into_iter().map(|(m, _)| *m).collect();
        let without: Vec<(u32, f32)> = without.into_iter().map(|(m, _)| *m).collect();
        let context = Finding {
            label: Label {
                label1: "group_control",
                label2: "shared_infrastructure",
                label3: "ip_cluster",
            },
            members: without,
            ..main.clone()
        };
        vec![
            Finding {
                members: with_dev,
                ..main
            },
            context,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_core::{EventStoreBuilder, RawEvent};

    fn ev(b: &mut EventStoreBuilder, ts: i64, acc: &str, dev: &str, ip: &str) {
        let ts = ts.to_string();
        b.push_raw(&RawEvent {
            ts: &ts,
            account: acc,
            action: "view",
            target: "v1",
            device: Some(dev),
            ip: Some(ip),
            ..Default::default()
        })
        .unwrap();
    }

    #[test]
    fn farm_on_few_ips_is_found_and_cgnat_is_a_hub() {
        let mut b = EventStoreBuilder::new();
        // Farm: 10 phones × 2 accounts behind 2 IPs.
        for p in 0..10 {
            for k in 0..2 {
                let acc = format!("farm{p}_{k}");
                for t in 0..5 {
                    ev(
                        &mut b,
                        t * 1000 + p,
                        &acc,
                        &format!("phone{p}"),
                        if t % 2 == 0 { "1.1.1.1" } else { "1.1.1.2" },
                    );
                }
            }
        }
        // Organic: 30 users on one CGNAT IP, each also at their own home IP.
        for u in 0..30 {
            let acc = format!("user{u}");
            ev(&mut b, 100 + u, &acc, &format!("dev{u}"), "9.9.9.9");
            ev(
                &mut b,
                200 + u,
                &acc,
                &format!("dev{u}"),
                &format!("10.0.0.{u}"),
            );
        }
        let s = b.finish();
        let det = SharedInfraDetector::default();
        let hubs = det.hubs(&s);
        assert!(
            hubs[s.ips.get("9.9.9.9").unwrap() as usize],
            "CGNAT must be a hub"
        );
        assert!(
            !hubs[s.ips.get("1.1.1.1").unwrap() as usize],
            "farm IP must not be a hub"
        );
        let f = det.detect(&s);
        assert_eq!(f.len(), 1);
        let names = f[0].member_names(&s);
        assert_eq!(names.len(), 20);
        assert!(names.iter().all(|n| n.starts_with("farm")));
        assert!(f[0].members.iter().all(|&(_, w)| w > 0.5));
    }

    #[test]
    fn a_family_device_is_not_a_group() {
        let mut b = EventStoreBuilder::new();
        for k in 0..3 {
            ev(&mut b, k, &format!("fam{k}"), "tablet", "5.5.5.5");
        }
        let s = b.finish();
        assert!(SharedInfraDetector::default().detect(&s).is_empty());
    }
}
