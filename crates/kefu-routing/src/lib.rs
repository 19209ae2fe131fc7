//! kefu-routing
