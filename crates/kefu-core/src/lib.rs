//! kefu-core
