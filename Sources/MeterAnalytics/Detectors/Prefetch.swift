import CPrefetch

/// Hints for the processor's caches, ahead of a reading that will need the memory: a fleet's
/// detector state does not stay in the caches between a meter's readings. Addresses may be stale
/// or wrong; a hint then only asks for the wrong line, it never faults.
enum Prefetch {
    /// Bytes from a native Swift array's storage to its first element (object header, count,
    /// capacity): the line an access reads first, for its count or its reference count.
    static let arrayHeader = 32

    /// Asks for an array's header and the line `offset` bytes into its elements.
    static func array(elements: UnsafeRawPointer, offset: Int) {
        nc_prefetch(elements - arrayHeader)
        nc_prefetch(elements + offset)
    }

    /// Asks for the line holding `address`.
    static func line(_ address: UnsafeRawPointer) { nc_prefetch(address) }
}
