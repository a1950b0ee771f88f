//! Comment and DM text: a rich organic vocabulary (with the very common short texts real users
//! repeat — "哈哈哈", "👍", "[赞]"), and farm templates with emoji / punctuation variation and
//! (for stealth farms) spinning by synonym substitution.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Very common short organic comments, most frequent first (sampled with a Zipf-like weight).
const COMMON: &[&str] = &[
    "哈哈哈",
    "👍",
    "[赞]",
    "哈哈哈哈哈",
    "666",
    "好看",
    "❤️",
    "😂😂😂",
    "太美了",
    "[比心]",
    "好听",
    "lol",
    "nice",
    "爱了",
    "绝了",
    "🔥",
    "第一",
    "来了",
    "[玫瑰]",
    "牛",
    "😍",
    "yyds",
    "路过",
    "笑死",
    "真好",
    "cool",
    "wow",
    "哈哈",
    "👏👏",
    "可爱",
];

/// Words for composing diverse organic comments.
const SUBJ: &[&str] = &[
    "这个视频",
    "你家猫",
    "这首歌",
    "这个妆",
    "小姐姐",
    "这道菜",
    "博主",
    "这个转场",
    "背景音乐",
    "这里的风景",
    "this song",
    "the ending",
    "your dog",
    "this recipe",
    "the editing",
    "这段舞",
    "最后那个",
    "衣服",
    "这个滤镜",
    "宝宝",
];
const PRED: &[&str] = &[
    "太可爱了",
    "绝绝子",
    "看了好几遍",
    "笑不活了",
    "真的好厉害",
    "学到了",
    "好治愈",
    "有点东西",
    "is amazing",
    "made my day",
    "is so good",
    "好想去",
    "求链接",
    "在哪里买的",
    "怎么做到的",
    "破防了",
    "好真实",
    "太有才了",
    "my favourite",
    "听哭了",
    "是我本人",
    "也太美了吧",
];
const TAIL: &[&str] = &[
    "", "", "", "!", "！", "～", "😂", "❤️", "👍", "[捂脸]", "?", "…", "hhh", "😭", "🥰",
];

/// Fan-club comments on an idol's release.
const FAN: &[&str] = &[
    "哥哥好帅",
    "爱了爱了",
    "等了好久终于更新了",
    "第一！",
    "永远支持你",
    "啊啊啊啊啊",
    "太好看了吧",
    "打卡",
    "今天也是爱你的一天",
    "❤️❤️❤️",
    "冲冲冲",
    "宝藏博主",
];

/// Pitch templates farms post or DM (the client's message).
const FARM_TEMPLATES: &[&str] = &[
    "太好看了，已关注，互关一下",
    "主播讲得太好了，学到了很多",
    "这个产品我用过，真的好用",
    "想了解的可以私信我",
    "宝藏视频，必须点赞收藏",
    "已三连，支持一下",
    "说得太对了，赞同",
    "厉害了我的哥，关注了",
    "good content, followed you",
    "这个价格太划算了，冲",
    "每天都来看你，加油",
    "同款在我橱窗，欢迎来看",
];
const DM_TEMPLATES: &[&str] = &[
    "你好，看到你也喜欢TA的视频，我这里有内部福利，加我了解",
    "亲，点击主页链接领取新人红包",
    "hi, I can help your account grow fast, message me",
    "姐妹你好，我们在招兼职，日结，感兴趣回我",
    "你好，关注我送你一份资料，互关",
    "恭喜你被选为幸运粉丝，私信领取奖品",
];
const EMOJI_VAR: &[&str] = &[
    "", "👍", "👍👍", "🔥", "❤️", "！", "!!", "😊", "[赞]", "~", "💯", "✨",
];

/// Synonym pairs used to spin templates (stealth farms).
const SPIN: &[(&str, &str)] = &[
    ("太好看了", "超级好看"),
    ("已关注", "关注了"),
    ("学到了很多", "收获很大"),
    ("真的好用", "确实好用"),
    ("私信我", "私我"),
    ("必须", "一定要"),
    ("支持一下", "支持支持"),
    ("赞同", "同意"),
    ("关注了", "已关注"),
    ("划算", "便宜"),
    ("加油", "冲鸭"),
    ("欢迎来看", "欢迎来逛"),
    ("互关", "回关"),
    ("领取", "领"),
];

fn zipf_index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    // P(i) ∝ 1/(i+1): inverse-CDF on the harmonic approximation, clamped.
    let u: f64 = rng.random();
    let h = (n as f64 + 1.0).ln();
    let i = ((u * h).exp() - 1.0).floor() as usize;
    i.min(n - 1)
}

/// An organic comment: half the time a common short text, else a composed sentence.
pub fn organic_comment(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.45) {
        COMMON[zipf_index(rng, COMMON.len())].to_string()
    } else {
        let s = SUBJ[rng.random_range(0..SUBJ.len())];
        let p = PRED[rng.random_range(0..PRED.len())];
        let t = TAIL[rng.random_range(0..TAIL.len())];
        if s.is_ascii() != p.is_ascii() {
            format!("{p}{t}")
        } else if s.is_ascii() {
            format!("{s} {p}{t}")
        } else {
            format!("{s}{p}{t}")
        }
    }
}

pub fn fan_comment(rng: &mut ChaCha8Rng) -> String {
    let base = FAN[rng.random_range(0..FAN.len())];
    let t = TAIL[rng.random_range(0..TAIL.len())];
    format!("{base}{t}")
}

/// A farm picks a few templates for its campaigns.
pub fn pick_templates(rng: &mut ChaCha8Rng, k: usize, dm: bool) -> Vec<&'static str> {
    let pool = if dm { DM_TEMPLATES } else { FARM_TEMPLATES };
    let mut v: Vec<&'static str> = Vec::new();
    while v.len() < k.min(pool.len()) {
        let t = pool[rng.random_range(0..pool.len())];
        if !v.contains(&t) {
            v.push(t);
        }
    }
    v
}

/// A farm's rendering of a template: emoji/punctuation variation; with `spin`, synonym
/// substitution and an occasional filler character as well.
pub fn vary(rng: &mut ChaCha8Rng, template: &str, spin: bool) -> String {
    let mut s = template.to_string();
    if spin {
        for (a, b) in SPIN {
            if s.contains(a) && rng.random_bool(0.5) {
                s = s.replacen(a, b, 1);
            }
        }
        if rng.random_bool(0.3) {
            s.insert_str(0, ["真的", "哇", "嗯", "诶"][rng.random_range(0..4)]);
        }
    }
    let pre = if rng.random_bool(0.2) {
        EMOJI_VAR[rng.random_range(0..EMOJI_VAR.len())]
    } else {
        ""
    };
    let post = EMOJI_VAR[rng.random_range(0..EMOJI_VAR.len())];
    format!("{pre}{s}{post}")
}

/// Fandom slogans for 控评 (prescribed praise posted so the top comments stay positive) and
/// 打榜 (chart pushing): real fans post the same words, copied from the fan club's group chat.
const SLOGANS: &[&str] = &[
    "全世界最好的哥哥",
    "控评 好看到犯规",
    "冲榜 冲冲冲 第一属于你",
    "新作品太绝了 每一帧都是壁纸",
    "我们一直都在 永远爱你",
    "给你全世界的偏爱",
    "宝藏舞台 值得被更多人看到",
    "打榜打卡 今天也要加油",
    "顶流实至名归",
    "这个造型封神了",
];

/// Challenge (挑战赛) comments: the hashtag, sometimes with a word.
const CHALLENGE: &[&str] = &[
    "#挑战",
    "#挑战 来了",
    "#挑战 太上头了",
    "跟拍",
    "学会了",
    "下一个就是我",
];

/// A fandom's shared slogans (drawn once per fandom).
pub fn pick_slogans(rng: &mut ChaCha8Rng, k: usize) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    while v.len() < k.min(SLOGANS.len()) {
        let t = SLOGANS[rng.random_range(0..SLOGANS.len())];
        if !v.contains(&t) {
            v.push(t);
        }
    }
    v
}

/// A challenge viewer's comment: the hashtag (with the challenge's tag name) or an ordinary one.
pub fn challenge_comment(rng: &mut ChaCha8Rng, tag: &str) -> String {
    if rng.random_bool(0.5) {
        let c = CHALLENGE[rng.random_range(0..CHALLENGE.len())];
        c.replace("挑战", tag)
    } else {
        organic_comment(rng)
    }
}
