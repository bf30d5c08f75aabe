//! Reading HTML without a DOM: [`tokens`] is the one tokenizer that parsing, rendering and
//! feed discovery share, [`entities`] decodes and escapes character references.
//!
//! Bodies can be megabytes of deeply nested, broken or hostile HTML; every function here is
//! one linear pass that never fails and never panics.

pub(crate) mod entities;
pub(crate) mod tokens;

pub(crate) use entities::{
    decode_entities, decode_entities_into, decode_reference, escape_markup_char, escape_markup_into,
    html_entity,
};
pub(crate) use tokens::{Tag, Token, TokenKind, Tokenizer};
