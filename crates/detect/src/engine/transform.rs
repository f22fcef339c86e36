//! Transforms of a sticky buffer, applied before its list runs.
use crate::keywords::buffer::Transform;

/// Longest transformed buffer.
const MAX: usize = 1 << 20;

/// Writes the transformed `data` to `out` (reused). False when a transform
/// is not implemented yet (the list then does not match: never a match
/// with a different meaning).
pub fn apply(ts: &[Transform], data: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    out.extend_from_slice(&data[..data.len().min(MAX)]);
    for t in ts {
        match t {
            Transform::ToLowercase => out.make_ascii_lowercase(),
            Transform::ToUppercase => out.make_ascii_uppercase(),
            Transform::Dotprefix => out.insert(0, b'.'),
            Transform::StripWhitespace => out.retain(|b| !b.is_ascii_whitespace()),
            Transform::CompressWhitespace => {
                let mut prev_ws = false;
                out.retain(|b| {
                    let ws = b.is_ascii_whitespace();
                    let keep = !(ws && prev_ws);
                    prev_ws = ws;
                    keep
                });
                for b in out.iter_mut() {
                    if b.is_ascii_whitespace() {
                        *b = b' ';
                    }
                }
            }
            Transform::Xor(key) if !key.is_empty() => {
                for (i, b) in out.iter_mut().enumerate() {
                    *b ^= key[i % key.len()];
                }
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suricata_doc_transforms() {
        let mut o = Vec::new();
        // docs: dotprefix turns "example.com" into ".example.com"
        assert!(apply(&[Transform::Dotprefix], b"example.com", &mut o));
        assert_eq!(o, b".example.com");
        // strip_whitespace removes all; compress_whitespace keeps one space
        assert!(apply(
            &[Transform::StripWhitespace],
            b" a b\t\r\nc ",
            &mut o
        ));
        assert_eq!(o, b"abc");
        assert!(apply(&[Transform::CompressWhitespace], b"a  \t b", &mut o));
        assert_eq!(o, b"a b");
        assert!(apply(
            &[Transform::ToLowercase, Transform::Dotprefix],
            b"EXA",
            &mut o
        ));
        assert_eq!(o, b".exa");
        assert!(!apply(&[Transform::ToMd5], b"x", &mut o));
    }
}
