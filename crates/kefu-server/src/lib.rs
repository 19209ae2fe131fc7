//! kefu-server
