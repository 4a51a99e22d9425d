import AEPOModel
import XCTest

/// `ShardSize` reads sizes as transformers reads a `max_shard_size`, and refuses anything that is not at least one byte.
final class ShardSizeTests: XCTestCase {
    func testSizesReadAsTransformersReadsThem() {
        XCTAssertEqual(ShardSize("5GB")?.bytes, 5_000_000_000)
        XCTAssertEqual(ShardSize("5GB"), ShardSize.standard)
        XCTAssertEqual(ShardSize("2 MiB")?.bytes, 2 << 20)
        XCTAssertEqual(ShardSize("4KiB")?.bytes, 4096)
        XCTAssertEqual(ShardSize("1.5kb")?.bytes, 1_500)
        XCTAssertEqual(ShardSize("1000")?.bytes, 1_000)
        XCTAssertEqual(ShardSize(" 20KB ")?.description, "20KB")
    }

    func testAnythingButAPositiveSizeIsRefused() {
        for bad in ["", "GB", "5 TB", "5XB", "-1MB", "-1", "0", "0KB", "0.1", "many", "nan", "inf", "1e30GB"] {
            XCTAssertNil(ShardSize(bad), bad)
        }
    }
}
