//! The controllers: ordinary API clients, one module per controller. Not
//! built yet: `keelson controller-manager` says so.
