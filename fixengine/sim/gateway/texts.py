"""Text(58) values the simulated gateway writes on session-level refusals.

Documented / observed by Kalshi (part1 §3.4): INVALID_TARGET, ALREADY_EXISTS, NOT_ENTITLED.
Every other logon refusal text is UNCONFIRMED (Kalshi publishes no wording); the strings
below are our choice, kept short and descriptive so a client can log them verbatim.
"""

# observed in production / documented
INVALID_TARGET = "Invalid TargetCompID"
ALREADY_EXISTS = "already exists"
NOT_ENTITLED = "API usage level is not allowed for FIX"

# UNCONFIRMED wording (simulator's choice)
UNKNOWN_KEY = "Invalid SenderCompID: unknown API key"
BAD_SIGNATURE = "Invalid signature"
REPLAYED_LOGON = "Invalid signature: logon replayed"
SENDING_TIME = "SendingTime accuracy problem"
RESET_REQUIRED = "ResetSeqNumFlag(141)=Y is required on this session"
SENDER_SUB_ID = "SenderSubID(50) is not allowed on Logon"
ENCRYPT_METHOD = "EncryptMethod(98) must be 0"
HEARTBEAT = "HeartBtInt(108) must be greater than 3"
APPL_VER_ID = "DefaultApplVerID(1137) must be 9"
LISTENER_NEEDS_SKIP = "ListenerSession(20126)=Y requires SkipPendingExecReports(21011)=Y"
LISTENER_NO_CANCEL = "ListenerSession(20126)=Y is not allowed with CancelOrdersOnDisconnect(8013)=Y"
LISTENER_KIND = "ListenerSession(20126) is only allowed on KalshiNR and KalshiRT"
RETENTION = "MessageRetentionPeriod(20200) must be 1 to 72 hours"
RETENTION_KIND = "MessageRetentionPeriod(20200) is only allowed on KalshiRT and KalshiPT"
THROTTLED = "Too many logon attempts; retry later"
RATE_LIMITED = "Rate limit exceeded"
MISSING_TAG = "Required tag missing: {tag}"
BAD_VALUE = "Incorrect value for tag {tag}"

# BusinessMessageReject texts (reason codes are documented, texts are ours)
BMR_RATE_LIMIT = "Rate limit exceeded"
BMR_LISTENER = "Listener sessions are read-only"
BMR_UNSUPPORTED = "Unsupported message type"
BMR_MASS_CANCEL_SESSION = "OrderMassCancelRequest is only supported on KalshiNR"
BMR_MASS_CANCEL_RATE = "OrderMassCancelRequest is limited to 1 per second"
