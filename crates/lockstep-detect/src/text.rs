//! Text normalisation and near-duplicate grouping for comments and DMs.
//!
//! [`normalize`] folds the variations farms add to a template — case, full-width forms,
//! whitespace, punctuation, emoji and `[表情]` codes — and masks @mentions and URLs, so that exact
//! hashing of the result catches copy-paste. [`near_duplicate_groups`] then joins *distinct*
//! normalised texts whose character 2-gram sets overlap (MinHash with LSH banding to find
//! candidates, exact Jaccard to confirm): character shingles need no word segmentation and
//! survive synonym spinning in Chinese better than words do.

use rustc_hash::FxHashMap;

/// Whether a character is an emoji or pictographic symbol (dropped in normalisation).
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE00..=0xFE0F | 0x200D | 0x20E3 | 0xE0020..=0xE007F)
}

/// Normalise a comment or DM: lower case, full-width → half-width, `[表情]` codes, emoji,
/// whitespace and punctuation removed, @mentions → `@`, URLs → `URL`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Full-width ASCII variants and the ideographic space first, so brackets match either form.
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // `[赞]`-style sticker codes: a bracket with 1–6 non-bracket characters.
        if c == '[' || c == '【' {
            let close = if c == '[' { ']' } else { '】' };
            if let Some(len) = chars[i + 1..].iter().take(7).position(|&x| x == close) {
                if len >= 1 {
                    i += len + 2;
                    continue;
                }
            }
        }
        if c == '@' {
            out.push('@');
            while i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
                i += 1;
            }
            i += 1;
            continue;
        }
        if (c == 'h' || c == 'H')
            && chars[i..]
                .iter()
                .take(4)
                .collect::<String>()
                .eq_ignore_ascii_case("http")
        {
            out.push_str("URL");
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            continue;
        }
        i += 1;
        if c.is_whitespace() || is_emoji(c) || c.is_ascii_punctuation() || is_cjk_punct(c) {
            continue;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    out
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20 | 0x2010..=0x205E | 0xFE30..=0xFE4F | 0x00A1..=0x00BF)
        || matches!(c, '～' | '·' | '…' | '—')
}

/// Character 2-gram shingles (hashed), or the single character for one-character texts.
pub fn shingles(norm: &str) -> Vec<u64> {
    let chars: Vec<char> = norm.chars().collect();
    let h = |a: char, b: char| {
        let x = ((a as u64) << 32) | b as u64;
        x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
    };
    let mut v: Vec<u64> = if chars.len() < 2 {
        chars.iter().map(|&c| h(c, '\0')).collect()
    } else {
        chars.windows(2).map(|w| h(w[0], w[1])).collect()
    };
    v.sort_unstable();
    v.dedup();
    v
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

const BANDS: usize = 16;
const ROWS: usize = 2;

/// Group texts into templates: exact copies always; near-duplicates by *leader* clustering —
/// each text (in input order) joins the most similar earlier leader with Jaccard ≥ `threshold`
/// over character 2-grams, or becomes a leader. Unlike transitive closure this does not chain
/// ("这个视频太可爱了" ~ "这个视频学到了" ~ "这首歌学到了" …) into one organic mega-template.
/// Texts with fewer than `min_chars` characters only group with exact copies (short texts repeat
/// organically). Returns each text's group id (its leader's index). With 16 bands of 2 rows a pair
/// at Jaccard 0.5 is a candidate with probability 1 − (1 − 0.5²)¹⁶ ≈ 0.99, at 0.3 about 0.81.
///
/// Complexity: O(T · 32) min-hashes over T texts (in parallel), then per text an exact Jaccard
/// against the *leaders* in its 16 LSH buckets (buckets holding more than 200 leaders are skipped
/// as too generic): O(T · 16 · leaders per bucket).
pub fn near_duplicate_groups(texts: &[String], threshold: f64, min_chars: usize) -> Vec<u32> {
    let n = texts.len();
    let mut group: Vec<u32> = (0..n as u32).collect();
    // Exact duplicates first: the first copy is the representative.
    let mut exact: FxHashMap<&str, u32> = FxHashMap::default();
    for (i, t) in texts.iter().enumerate() {
        group[i] = *exact.entry(t.as_str()).or_insert(i as u32);
    }
    let reps: Vec<u32> = (0..n as u32)
        .filter(|&i| group[i as usize] == i && texts[i as usize].chars().count() >= min_chars)
        .collect();
    let sh: Vec<Vec<u64>> = reps.iter().map(|&i| shingles(&texts[i as usize])).collect();
    let seeds: Vec<u64> = (0..(BANDS * ROWS) as u64)
        .map(|k| 0xD6E8_FEB8_6659_FD93u64.wrapping_mul(k + 1) ^ 0x5851_F42D_4C95_7F2D)
        .collect();
    // Band keys of every representative (in parallel: the signatures are the bulk of the work).
    use rayon::prelude::*;
    let keys_of: Vec<Vec<(usize, u64)>> = sh
        .par_iter()
        .map(|s| {
            if s.is_empty() {
                return Vec::new();
            }
            let sig: Vec<u64> = seeds
                .iter()
                .map(|&seed| {
                    s.iter()
                        .map(|&x| {
                            (x ^ seed)
                                .wrapping_mul(0x2545_F491_4F6C_DD1D)
                                .rotate_left(17)
                        })
                        .min()
                        .unwrap()
                })
                .collect();
            (0..BANDS)
                .map(|b| {
                    let key = sig[b * ROWS..(b + 1) * ROWS]
                        .iter()
                        .fold(0xCBF2_9CE4_8422_2325u64, |h, &x| {
                            (h ^ x).wrapping_mul(0x100_0000_01B3)
                        });
                    (b, key)
                })
                .collect()
        })
        .collect();
    // Leader clustering in input order. Only leaders are ever compared against, so only leaders
    // enter the buckets: a spun template with thousands of variants costs one comparison per
    // variant and band, not one per earlier variant.
    let mut buckets: FxHashMap<(usize, u64), Vec<u32>> = FxHashMap::default();
    let mut leader_of: Vec<u32> = (0..reps.len() as u32).collect();
    for li in 0..reps.len() {
        let mut best: Option<(f64, u32)> = None;
        for key in &keys_of[li] {
            let Some(leaders) = buckets.get(key) else {
                continue;
            };
            if leaders.len() > 200 {
                continue;
            }
            for &other in leaders {
                let j = jaccard(&sh[li], &sh[other as usize]);
                if j >= threshold && best.is_none_or(|(bj, bo)| j > bj || (j == bj && other < bo)) {
                    best = Some((j, other));
                }
            }
        }
        match best {
            Some((_, l)) => leader_of[li] = l,
            None => {
                for key in &keys_of[li] {
                    buckets.entry(*key).or_default().push(li as u32);
                }
            }
        }
    }
    for (li, &rep) in reps.iter().enumerate() {
        group[rep as usize] = reps[leader_of[li] as usize];
    }
    // Copies follow their representative.
    for i in 0..n {
        group[i] = group[group[i] as usize];
    }
    group
}

/// Template id of every text in a store's text interner: texts whose normal forms are equal or
/// near-duplicates share an id (the smallest text id of the group), plus each text's normal form.
pub fn templates(
    store: &lockstep_core::EventStore,
    threshold: f64,
    min_chars: usize,
) -> (Vec<u32>, Vec<String>) {
    use rayon::prelude::*;
    let norms: Vec<String> = (0..store.texts.len() as u32)
        .into_par_iter()
        .map(|t| normalize(store.texts.name(t)))
        .collect();
    let groups = near_duplicate_groups(&norms, threshold, min_chars);
    (groups, norms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_farm_variations() {
        assert_eq!(
            normalize("太好看了，已关注！！👍👍"),
            normalize("太好看了 已关注 🔥")
        );
        assert_eq!(normalize("［赞］ＨＥＬＬＯ　World[赞]"), "helloworld");
        assert_eq!(
            normalize("看这里 @小王 http://x.cn/abc 领取"),
            "看这里@URL领取"
        );
        assert_eq!(normalize("哈哈哈"), "哈哈哈");
        assert_eq!(normalize("👍"), "");
    }

    #[test]
    fn spun_variants_group_and_unrelated_texts_do_not() {
        let texts: Vec<String> = [
            "太好看了，已关注，互关一下👍",
            "真的超级好看，关注了，互关一下",
            "这个产品我用过，真的好用",
            "这个产品我用过，确实好用！！",
            "这道菜看起来好好吃",
            "哈哈哈",
            "哈哈哈",
        ]
        .iter()
        .map(|t| normalize(t))
        .collect();
        let g = near_duplicate_groups(&texts, 0.25, 6);
        assert_eq!(g[0], g[1], "spun template 1");
        assert_eq!(g[2], g[3], "spun template 2");
        assert_ne!(g[0], g[2]);
        assert_ne!(g[4], g[0]);
        assert_ne!(g[4], g[2]);
        assert_eq!(g[5], g[6], "exact copies always group");
    }
}
