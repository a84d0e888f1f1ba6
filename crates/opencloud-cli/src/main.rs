//! The opencloud command (work in progress).

fn main() {}
