//! Arbitrary bytes as a newsboat urls file: no crash, every subscription valid and clean, and
//! what tidings exports (OPML and newsboat urls) reads back as the same subscriptions.

#![no_main]

mod common;

use common::check_import;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_import(tidings::subscriptions::parse_urls_file(data));
    // The format sniffing entry point `tidings import` uses.
    let _ = tidings::subscriptions::parse_import(data);
});
