//! Words for people: counts written the way they are read.

/// "1 article", "3 articles", "0 feeds".
pub(crate) fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular() {
        assert_eq!(super::plural(1, "feed"), "1 feed");
        assert_eq!(super::plural(0, "feed"), "0 feeds");
        assert_eq!(super::plural(2, "article"), "2 articles");
    }
}
