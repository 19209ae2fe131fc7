//! kefu-store
