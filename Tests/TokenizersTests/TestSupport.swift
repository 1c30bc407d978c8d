import Testing

/// The error a throwing call produced, as text (nil if it did not throw).
func errorText(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}
