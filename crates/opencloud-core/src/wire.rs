//! The wire forms, for servers and embedders that read requests as well as write them: path
//! segment encoding and route matching, the `@` selector, the filter grammars, the legacy v1
//! headers and their codecs.

pub use crate::error::is_retryable_status;
pub use crate::filter::{parse_prefix_filter, render_prefix_filter};
pub use crate::ops::user_restrictions::UPDATE_MASK;
pub use crate::ops::v1::{
    CONTENT_MD5, ENTRY_ATTRIBUTES, ENTRY_CREATED_TIME, ENTRY_USERIDS, ENTRY_VERSION,
    ENTRY_VERSION_CREATED_TIME, check_content_md5, content_md5, parse_attributes, parse_userids,
    render_attributes, render_userids,
};
pub use crate::route::{
    RouteMatch, allowed_methods, decode_component, encode_component, match_route,
};
pub use crate::selector::{ParsedSelector, parse_entry_id, render_entry_segment};
