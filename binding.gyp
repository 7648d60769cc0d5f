{
  "targets": [
    {
      "target_name": "device_keystore",
      "sources": [
        "native/common/addon.cc",
        "native/common/async_work.cc",
        "native/common/errors.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_NO_EXTERNAL_BUFFERS_ALLOWED"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fvisibility=hidden",
        "-fvisibility-inlines-hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      },
      "conditions": [
        [
          "OS=='linux'",
          {
            "ldflags": [
              "-Wl,--exclude-libs,ALL",
              "-Wl,-z,now",
              "-Wl,--version-script=<(module_root_dir)/native/common/exports.map"
            ],
            "libraries": ["-ldl"],
            "sources": [
              "native/linux-tpm/tss2_api.cc",
              "native/linux-tpm/session_crypto.cc",
              "native/linux-tpm/tpm_session.cc",
              "native/linux-tpm/tpm_device.cc",
              "native/linux-tpm/tpm_attest.cc",
              "native/linux-tpm/tpm_binding.cc",
              "native/linux-tpm/linux_platform.cc"
            ]
          }
        ],
        [
          "OS=='win'",
          {
            "sources": [
              "native/windows/win_text.cc",
              "native/windows/win_acl.cc",
              "native/windows/win_ncrypt.cc",
              "native/windows/ncrypt_binding.cc",
              "native/windows/win_binding.cc",
              "native/windows/win_platform.cc"
            ],
            "defines": ["_WIN32_WINNT=0x0A00", "WIN32_LEAN_AND_MEAN", "NOMINMAX", "_HAS_EXCEPTIONS=1"],
            "libraries": ["-ladvapi32", "-lncrypt"],
            "msvs_settings": {
              "VCCLCompilerTool": { "AdditionalOptions": ["/guard:cf", "/W3"] },
              "VCLinkerTool": { "AdditionalOptions": ["/guard:cf", "/DYNAMICBASE", "/NXCOMPAT"] }
            }
          }
        ],
        [
          "OS not in ('linux', 'win', 'mac')",
          { "sources": ["native/other/other_platform.cc"] }
        ],
        [
          "OS=='mac'",
          {
            "sources": [
              "native/macos/mac_keys.cc",
              "native/macos/mac_binding.cc",
              "native/macos/mac_platform.cc"
            ],
            "link_settings": {
              "libraries": ["-framework Security", "-framework CoreFoundation"]
            },
            "xcode_settings": {
              "MACOSX_DEPLOYMENT_TARGET": "10.15",
              "OTHER_CFLAGS": ["-arch x86_64", "-arch arm64"],
              "OTHER_LDFLAGS": ["-arch x86_64", "-arch arm64"]
            }
          }
        ]
      ]
    }
  ]
}
