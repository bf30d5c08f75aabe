//! Undoing Content-Encoding ourselves, chunk by chunk, inside the capped body read.
//!
//! reqwest's own decoders stop after the first member of a multi-member gzip body (what
//! `cat a.gz b.gz`, pigz and some CDNs send) and refuse raw deflate sent as `deflate`, so
//! tidings asks for `gzip, deflate, br` itself and decodes here. Contract: [`BodyDecoder`]
//! takes the body as it arrives and never holds more than `cap` decoded bytes (plus one
//! bounded step of a decoder's output): a compression bomb fails with
//! [`DecodeError::TooLarge`] at the cap, not after inflating it all.

use std::io::{self, Write};

use flate2::{Decompress, FlushDecompress, Status};

/// What `Accept-Encoding` offers: exactly the codings [`BodyDecoder`] can undo.
pub(crate) const ACCEPT_ENCODING: &str = "gzip, deflate, br";

/// More codings than this stacked in one Content-Encoding is refused: real servers send one,
/// and every layer costs a decoder's buffers.
const MAX_LAYERS: usize = 3;

/// Output produced per decompression step for zlib and raw deflate.
const STEP: usize = 32 * 1024;

/// gzip's magic number, the first two bytes of every member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One content coding tidings can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }
}

/// Why a Content-Encoding header cannot be decoded; the text completes "the server sent ...".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) String);

/// The codings of the Content-Encoding header values, in the order the server applied them
/// (so they are undone last to first). `identity` and empty entries are dropped.
pub(crate) fn codings<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<Coding>, Unsupported> {
    let mut codings = Vec::new();
    for value in values {
        let value = String::from_utf8_lossy(value);
        for name in value.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let coding = match name.to_ascii_lowercase().as_str() {
                "identity" => continue,
                "gzip" | "x-gzip" => Coding::Gzip,
                "deflate" => Coding::Deflate,
                "br" => Coding::Brotli,
                _ => {
                    return Err(Unsupported(format!(
                        "Content-Encoding `{}`, which tidings cannot decode (it accepts {ACCEPT_ENCODING})",
                        shorten(name)
                    )))
                }
            };
            codings.push(coding);
        }
    }
    if codings.len() > MAX_LAYERS {
        return Err(Unsupported(format!(
            "a Content-Encoding of {} stacked codings; tidings decodes at most {MAX_LAYERS}",
            codings.len()
        )));
    }
    Ok(codings)
}

/// The first 40 characters: a coding name is a short token, and the header is the server's.
fn shorten(name: &str) -> String {
    let mut short: String = name.chars().take(40).collect();
    if short.len() < name.len() {
        short.push_str("...");
    }
    short
}

/// Why decoding stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// The decoded body would pass the cap.
    TooLarge,
    /// The body is not valid data of the coding it was labelled with: which coding, and why.
    Corrupt { coding: &'static str, detail: String },
}

/// Decodes one response body as its chunks arrive. Feed every chunk to [`BodyDecoder::push`],
/// then call [`BodyDecoder::finish`] for the decoded body.
pub(crate) struct BodyDecoder {
    /// Innermost coding first: the last coding the server applied is undone first.
    layers: Vec<Layer>,
    body: Vec<u8>,
    cap: usize,
}

impl BodyDecoder {
    /// A decoder for `codings` (as returned by [`codings`]) that refuses more than `cap`
    /// decoded bytes. `expected` pre-sizes the body (give the Content-Length of a plain one).
    pub(crate) fn new(codings: &[Coding], cap: u64, expected: usize) -> BodyDecoder {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        BodyDecoder {
            layers: codings.iter().rev().map(|&coding| Layer::new(coding)).collect(),
            body: Vec::with_capacity(expected.min(cap)),
            cap,
        }
    }

    /// Decodes one chunk of the body as received.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<(), DecodeError> {
        self.push_from(0, chunk)
    }

    /// The decoded body, once every chunk was pushed. Fails when the body was cut short
    /// inside a compressed stream.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, DecodeError> {
        for index in 0..self.layers.len() {
            if index + 1 == self.layers.len() {
                self.layers[index].finish(self.cap, &mut self.body)?;
            } else {
                let mut out = Vec::new();
                self.layers[index].finish(self.cap, &mut out)?;
                self.push_from(index + 1, &out)?;
            }
        }
        Ok(self.body)
    }

    /// Runs `data` through the layers from `first` on, into the body.
    fn push_from(&mut self, first: usize, data: &[u8]) -> Result<(), DecodeError> {
        let Some((last, middle)) = self.layers.get_mut(first..).and_then(|layers| layers.split_last_mut())
        else {
            return append_capped(data, self.cap, &mut self.body);
        };
        // Only stacked codings get here with `middle` non-empty: each middle layer's output
        // is the next layer's input.
        let mut carried: Vec<u8>;
        let mut input = data;
        for layer in middle {
            let mut out = Vec::new();
            layer.write(input, self.cap, &mut out)?;
            carried = out;
            input = &carried;
        }
        last.write(input, self.cap, &mut self.body)
    }
}

/// Appends `data` to `out` unless `out` would then hold more than `limit` bytes.
fn append_capped(data: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    if out.len().saturating_add(data.len()) > limit {
        return Err(DecodeError::TooLarge);
    }
    out.extend_from_slice(data);
    Ok(())
}

/// Undoes one coding.
struct Layer {
    coding: Coding,
    state: State,
}

enum State {
    /// The first bytes, kept until there are enough to tell what the body really is.
    Sniffing(Vec<u8>),
    /// Labelled gzip but not gzip: passed through as is.
    Plain,
    /// gzip, every member (`cat a.gz b.gz` is one valid gzip file).
    Gzip(Box<flate2::write::MultiGzDecoder<Capped>>),
    /// zlib-wrapped (what the HTTP spec means by deflate) or raw deflate (what many servers
    /// send); `ended` once the stream's end was seen.
    Inflate {
        inflater: Decompress,
        ended: bool,
    },
    Brotli(Box<brotli_decompressor::DecompressorWriter<Capped>>),
}

/// Bytes needed to tell gzip from plain text, or zlib from raw deflate.
const SNIFF_LEN: usize = 2;

impl Layer {
    fn new(coding: Coding) -> Layer {
        let state = match coding {
            Coding::Gzip | Coding::Deflate => State::Sniffing(Vec::with_capacity(SNIFF_LEN)),
            Coding::Brotli => {
                State::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(Capped::default(), STEP)))
            }
        };
        Layer { coding, state }
    }

    /// Decodes `input`, appending the output to `out`, which may not grow past `limit`.
    fn write(&mut self, input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        if let State::Sniffing(head) = &mut self.state {
            if head.len() + input.len() < SNIFF_LEN {
                head.extend_from_slice(input);
                return Ok(());
            }
            let mut start = std::mem::take(head);
            start.extend_from_slice(input);
            self.state = decide(self.coding, &start);
            return self.write_decided(&start, limit, out);
        }
        self.write_decided(input, limit, out)
    }

    fn write_decided(
        &mut self,
        mut input: &[u8],
        limit: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), DecodeError> {
        let coding = self.coding.name();
        let corrupt = |detail: &str| DecodeError::Corrupt { coding, detail: detail.to_string() };
        match &mut self.state {
            State::Sniffing(_) => unreachable_sniffing(coding),
            State::Plain => append_capped(input, limit, out),
            State::Inflate { inflater, ended } => {
                let mut step = [0u8; STEP];
                while !input.is_empty() {
                    if *ended {
                        return Err(corrupt("there is data after the end of the compressed stream"));
                    }
                    let (read, written) = (inflater.total_in(), inflater.total_out());
                    let status = inflater
                        .decompress(input, &mut step, FlushDecompress::None)
                        .map_err(|e| corrupt(&e.to_string()))?;
                    let consumed = (inflater.total_in() - read) as usize;
                    let produced = (inflater.total_out() - written) as usize;
                    append_capped(&step[..produced], limit, out)?;
                    input = &input[consumed..];
                    match status {
                        Status::StreamEnd => *ended = true,
                        // No progress with input left and room to write: the stream is stuck
                        // (zlib's own "buffer error"); stop rather than spin.
                        Status::Ok | Status::BufError if consumed == 0 && produced == 0 => {
                            return Err(corrupt("the compressed stream is invalid"))
                        }
                        Status::Ok | Status::BufError => {}
                    }
                }
                Ok(())
            }
            State::Gzip(decoder) => {
                while !input.is_empty() {
                    decoder.get_mut().room = limit.saturating_sub(out.len());
                    let consumed = decoder.write(input).map_err(|e| classify(coding, &e))?;
                    out.append(&mut decoder.get_mut().bytes);
                    if consumed == 0 {
                        return Err(corrupt("the gzip data stopped making progress"));
                    }
                    input = &input[consumed..];
                }
                Ok(())
            }
            State::Brotli(decoder) => {
                if input.is_empty() {
                    return Ok(());
                }
                decoder.get_mut().room = limit.saturating_sub(out.len());
                let consumed = decoder.write(input).map_err(|e| classify(coding, &e))?;
                out.append(&mut decoder.get_mut().bytes);
                // The decoder stops taking input at the end of the stream.
                if consumed < input.len() {
                    return Err(corrupt("there is data after the end of the compressed stream"));
                }
                Ok(())
            }
        }
    }

    /// Ends the stream: flushes what the decoder still holds into `out` and checks that the
    /// stream was complete (a cut-short body is an error, not a silently short feed).
    fn finish(&mut self, limit: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        if let State::Sniffing(head) = &mut self.state {
            // Fewer bytes than a header: an empty body stays empty; one lone byte is decided
            // on what there is.
            let start = std::mem::take(head);
            if start.is_empty() {
                return Ok(());
            }
            self.state = decide(self.coding, &start);
            self.write_decided(&start, limit, out)?;
        }
        let coding = self.coding.name();
        let truncated =
            DecodeError::Corrupt { coding, detail: "the compressed data is cut short".to_string() };
        match &mut self.state {
            State::Sniffing(_) => unreachable_sniffing(coding),
            State::Plain => Ok(()),
            State::Inflate { ended, .. } => {
                if *ended {
                    Ok(())
                } else {
                    Err(truncated)
                }
            }
            State::Gzip(decoder) => {
                decoder.get_mut().room = limit.saturating_sub(out.len());
                // flate2 reports a missing or wrong trailer as corrupt data.
                let result = decoder.try_finish();
                out.append(&mut decoder.get_mut().bytes);
                result.map_err(|e| classify(coding, &e))
            }
            State::Brotli(decoder) => {
                decoder.get_mut().room = limit.saturating_sub(out.len());
                let result = decoder.close();
                out.append(&mut decoder.get_mut().bytes);
                result.map_err(|_| truncated)
            }
        }
    }
}

/// `Sniffing` is replaced before any decoding; reaching it again would be a bug in this file.
/// Reported as corrupt data rather than a panic.
fn unreachable_sniffing(coding: &'static str) -> Result<(), DecodeError> {
    Err(DecodeError::Corrupt { coding, detail: "internal error: the body was never classified".to_string() })
}

/// What the first bytes of a body labelled `coding` say it really is.
fn decide(coding: Coding, start: &[u8]) -> State {
    let gzip = || State::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Capped::default())));
    let inflate = |zlib_header| State::Inflate { inflater: Decompress::new(zlib_header), ended: false };
    match coding {
        Coding::Gzip if start.starts_with(&GZIP_MAGIC) => gzip(),
        // Some servers label a plain body gzip (or compress it only sometimes and label it
        // always): without the magic number it cannot be gzip, so it is taken as it is. The
        // parser still inflates a gzip body that arrives unlabelled.
        Coding::Gzip => State::Plain,
        // The HTTP spec says zlib-wrapped, many servers send raw deflate, and a few gzip.
        Coding::Deflate if start.starts_with(&GZIP_MAGIC) => gzip(),
        Coding::Deflate => inflate(is_zlib_header(start)),
        Coding::Brotli => {
            State::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(Capped::default(), STEP)))
        }
    }
}

/// A zlib header: compression method 8 (deflate), a window of at most 32 KiB, and a check
/// value that makes the first two bytes a multiple of 31 (RFC 1950). Raw deflate matches this
/// by chance only rarely; curl and browsers tell the two apart the same way.
fn is_zlib_header(start: &[u8]) -> bool {
    match start {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// An I/O error from a decoder: the cap, or bad data.
fn classify(coding: &'static str, err: &io::Error) -> DecodeError {
    if matches!(err.get_ref(), Some(inner) if inner.is::<CapReached>()) {
        return DecodeError::TooLarge;
    }
    DecodeError::Corrupt { coding, detail: err.to_string() }
}

/// The writer a streaming decoder writes into: it refuses to hold more than `room` bytes, so a
/// bomb stops at the cap inside the decoder's own write loop. Emptied after every write.
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    room: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("the decoded body is larger than the cap")]
struct CapReached;

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.room {
            return Err(io::Error::other(CapReached));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut e = ::brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
        e.write_all(data).unwrap();
        e.into_inner()
    }

    /// Decodes `body` pushed in pieces of `piece` bytes.
    fn decode(codings: &[Coding], body: &[u8], piece: usize, cap: u64) -> Result<Vec<u8>, DecodeError> {
        let mut decoder = BodyDecoder::new(codings, cap, 0);
        for chunk in body.chunks(piece) {
            decoder.push(chunk)?;
        }
        decoder.finish()
    }

    const TEXT: &[u8] =
        b"<rss version=\"2.0\"><channel><title>t</title><item><title>one</title></item></channel></rss>";

    #[test]
    fn header_values_become_codings_in_order() {
        let parse = |values: &[&str]| codings(values.iter().map(|v| v.as_bytes()));
        assert_eq!(parse(&[]), Ok(vec![]));
        assert_eq!(parse(&["identity", " "]), Ok(vec![]));
        assert_eq!(parse(&["X-GZip"]), Ok(vec![Coding::Gzip]));
        assert_eq!(parse(&["gzip, br", "deflate"]), Ok(vec![Coding::Gzip, Coding::Brotli, Coding::Deflate]));
        let Unsupported(why) = parse(&["gzip", "zstd"]).unwrap_err();
        assert_eq!(
            why,
            "Content-Encoding `zstd`, which tidings cannot decode (it accepts gzip, deflate, br)"
        );
        let Unsupported(why) = parse(&["gzip, gzip, gzip, gzip"]).unwrap_err();
        assert!(why.contains("4 stacked codings"), "{why}");
        let Unsupported(why) = parse(&[&"x".repeat(500)]).unwrap_err();
        assert!(why.len() < 150, "{why}");
    }

    #[test]
    fn every_coding_decodes_whatever_the_chunk_boundaries() {
        let cases: [(&[Coding], Vec<u8>); 7] = [
            (&[], TEXT.to_vec()),
            (&[Coding::Gzip], gzip(TEXT)),
            (&[Coding::Gzip], [gzip(&TEXT[..40]), gzip(&TEXT[40..])].concat()),
            (&[Coding::Deflate], zlib(TEXT)),
            (&[Coding::Deflate], raw_deflate(TEXT)),
            (&[Coding::Brotli], brotli(TEXT)),
            // Applied gzip first, then br: undone br first.
            (&[Coding::Gzip, Coding::Brotli], brotli(&gzip(TEXT))),
        ];
        for (codings, body) in &cases {
            for piece in [1, 2, 3, 7, body.len()] {
                let decoded = decode(codings, body, piece, 1 << 20);
                assert_eq!(decoded.as_deref(), Ok(TEXT), "{codings:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn a_body_labelled_gzip_without_the_magic_is_taken_as_it_is() {
        for piece in [1, 2, TEXT.len()] {
            assert_eq!(decode(&[Coding::Gzip], TEXT, piece, 1 << 20).as_deref(), Ok(TEXT));
        }
        assert_eq!(decode(&[Coding::Gzip], b"", 1, 10), Ok(vec![]));
        assert_eq!(decode(&[Coding::Gzip], b"x", 1, 10), Ok(b"x".to_vec()));
        // Still held to the cap.
        assert_eq!(decode(&[Coding::Gzip], TEXT, 5, 10), Err(DecodeError::TooLarge));
    }

    #[test]
    fn the_cap_counts_decoded_bytes_exactly() {
        let data = vec![b'a'; 100_000];
        let bodies: [(&[Coding], Vec<u8>); 5] = [
            (&[], data.clone()),
            (&[Coding::Gzip], gzip(&data)),
            (&[Coding::Deflate], zlib(&data)),
            (&[Coding::Deflate], raw_deflate(&data)),
            (&[Coding::Brotli], brotli(&data)),
        ];
        for (codings, body) in &bodies {
            assert_eq!(decode(codings, body, 1000, 100_000).map(|b| b.len()), Ok(100_000), "{codings:?}");
            assert_eq!(decode(codings, body, 1000, 99_999), Err(DecodeError::TooLarge), "{codings:?}");
        }
    }

    #[test]
    fn a_brotli_bomb_stops_at_the_cap() {
        // 64 MiB of zeros is a few hundred bytes of brotli; with a 1 MiB cap the decoder must
        // stop at the cap, holding no more than that.
        let mut e = ::brotli::CompressorWriter::new(Vec::new(), 4096, 1, 22);
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        let bomb = e.into_inner();
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        let mut decoder = BodyDecoder::new(&[Coding::Brotli], 1 << 20, 0);
        let result = bomb.chunks(16 * 1024).try_for_each(|chunk| decoder.push(chunk));
        assert_eq!(result, Err(DecodeError::TooLarge));
        assert!(decoder.body.len() <= 1 << 20);
    }

    #[test]
    fn cut_short_corrupt_and_trailing_data_are_errors() {
        let corrupt = |result: Result<Vec<u8>, DecodeError>| match result {
            Err(DecodeError::Corrupt { coding, detail }) => format!("{coding}: {detail}"),
            other => panic!("expected Corrupt, got {other:?}"),
        };
        for (coding, body) in [
            (Coding::Gzip, gzip(TEXT)),
            (Coding::Deflate, zlib(TEXT)),
            (Coding::Deflate, raw_deflate(TEXT)),
            (Coding::Brotli, brotli(TEXT)),
        ] {
            let short = &body[..body.len() - 5];
            let why = corrupt(decode(&[coding], short, 4, 1 << 20));
            assert!(why.starts_with(coding.name()), "{why}");
            if coding != Coding::Gzip {
                let why = corrupt(decode(&[coding], &[&body[..], b"junk"].concat(), 4, 1 << 20));
                assert!(why.contains("after the end"), "{why}");
            }
        }
        let mut garbage = gzip(TEXT);
        garbage[12] ^= 0xff;
        garbage[13] ^= 0xff;
        corrupt(decode(&[Coding::Gzip], &garbage, 100, 1 << 20));
        corrupt(decode(&[Coding::Brotli], TEXT, 100, 1 << 20));
        corrupt(decode(&[Coding::Deflate], &[0xff; 64], 100, 1 << 20));
    }

    #[test]
    fn zlib_headers_are_told_from_raw_deflate() {
        assert!(is_zlib_header(&[0x78, 0x9c]));
        assert!(is_zlib_header(&[0x78, 0x01]));
        assert!(is_zlib_header(&[0x78, 0xda]));
        assert!(!is_zlib_header(&[0x78, 0x9d]));
        assert!(!is_zlib_header(&raw_deflate(TEXT)));
        assert!(!is_zlib_header(&[0x78]));
    }
}
