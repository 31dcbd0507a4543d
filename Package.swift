// swift-tools-version: 6.1
import PackageDescription

/// One settings array for every target: Swift 6 mode with strict concurrency everywhere.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "laterbase",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "standby-entrypoint", targets: ["standby-entrypoint"]),
        .executable(name: "backup-agent", targets: ["backup-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // ISA-L's igzip: inflates a backup about twice as fast as zlib (bench/restore_bench.py),
        // which is what a restore waits on. zlib still writes them.
        .systemLibrary(
            name: "CIsal",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"]), .brew(["isa-l"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // The architecture, one way only: LaterbaseCore <- Standby; LaterbaseCore <- Backups <- UndoWindow
        // <- Restore <- Agent <- Console; LaterbaseCore <- Notify <- Agent; the executables hold only
        // their commands. docs/architecture.md draws the same picture.
        .target(
            name: "LaterbaseCore",
            dependencies: [
                "CLibPQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Standby",
            dependencies: ["LaterbaseCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Backups",
            dependencies: ["LaterbaseCore", "CZlib", "CIsal", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"), .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "UndoWindow",
            dependencies: ["LaterbaseCore", "Backups", .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Restore",
            dependencies: ["LaterbaseCore", "Backups", "UndoWindow", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Notify",
            dependencies: ["LaterbaseCore", .product(name: "Logging", package: "swift-log"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Agent",
            dependencies: ["LaterbaseCore", "Backups", "UndoWindow", "Restore", "Notify", .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "standby-entrypoint",
            dependencies: [
                "LaterbaseCore",
                "Standby",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Console",
            dependencies: [
                "LaterbaseCore",
                "Backups",
                "UndoWindow",
                "Restore",
                "Agent",
                "Notify",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "backup-agent",
            dependencies: [
                "LaterbaseCore",
                "Backups",
                "UndoWindow",
                "Restore",
                "Agent",
                "Console",
                "Notify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LaterbaseTestSupport",
            dependencies: [
                "LaterbaseCore",
                "Backups",
                "UndoWindow",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // One test target per module; each may use the modules below it and the shared support.
        .testTarget(
            name: "CoreTests",
            dependencies: ["LaterbaseCore", "Standby", "Backups", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StandbyTests",
            dependencies: ["LaterbaseCore", "Standby", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackupsTests",
            dependencies: ["LaterbaseCore", "Standby", "Backups", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UndoWindowTests",
            dependencies: ["LaterbaseCore", "Backups", "UndoWindow", "Restore", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RestoreTests",
            dependencies: ["LaterbaseCore", "Backups", "UndoWindow", "Restore", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["LaterbaseCore", "Backups", "Agent", "Notify", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NotifyTests",
            dependencies: ["LaterbaseCore", "Backups", "Agent", "Notify", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConsoleTests",
            dependencies: ["LaterbaseCore", "Standby", "Backups", "UndoWindow", "Restore", "Agent", "Notify", "Console", "LaterbaseTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            exclude: ["Browser"],
            swiftSettings: swiftSettings
        ),
    ]
)
