/// `/health`'s answer: the gateway is up, and whether its store answered (and how fast).
struct StoreHealth: Encodable {
    /// `ok`, or `unavailable` (with status 503) when the store did not answer.
    var status: String
    var store: Store

    struct Store: Encodable {
        /// `sqlite` or `postgresql`.
        var kind: String
        /// How long the store took to answer one trivial query.
        var seconds: Double?
        /// Why it did not answer.
        var error: String?
    }
}
