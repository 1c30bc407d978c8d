import ModelIO
import NameClashFixture
import Testing

/// ModelIO once had a public `SHA256`, so this file did not compile (`'SHA256' is ambiguous`)
/// beside swift-crypto or any module with its own `SHA256`. Its hasher is now `package` and
/// named `SHA256Hasher`; a bare `SHA256` means the other module's.
@Suite("Name clashes")
struct NameClashTests {
    @Test func aModuleWithItsOwnSHA256CanBeImportedBesideModelIO() {
        #expect(SHA256.owner == "NameClashFixture")
        // ModelIO is really imported here: one of its public names in the same file.
        #expect(ModelStore.Name.smollm2.files.isEmpty == false)
    }
}
