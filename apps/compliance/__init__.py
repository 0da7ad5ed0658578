"""Who may invest in what: qualification regimes as versioned rule sets, sanctions screening."""
