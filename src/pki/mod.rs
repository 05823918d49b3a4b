//! Certificate authority and certificate minting for serving and client
//! identities. Not built yet.
