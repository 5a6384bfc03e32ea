/// Formats UTC instants as `yyyy-mm-ddThh:mm:ssZ` without Foundation's formatters.
public enum ISO8601 {
    public static func format(_ epochSeconds: Int64) -> String {
        let day = CivilDate.floorDiv(epochSeconds, 86_400)
        let sod = Int(epochSeconds - day * 86_400)
        let d = CivilDate(daysSinceEpoch: day)
        let h = sod / 3600, m = (sod % 3600) / 60, s = sod % 60
        return "\(d)T\(two(h)):\(two(m)):\(two(s))Z"
    }

    @inline(__always) static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
