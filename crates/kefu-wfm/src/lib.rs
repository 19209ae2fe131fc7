//! kefu-wfm
