"""The Kalshi FIX dialect shared by the client and the simulator: tags, dictionary paths,
guarded QuickFIX application base."""
