#pragma once

// What the marker probe's command prints on the fake CPython 3.99.7 that tests put on PATH:
// pinwatch-fake-python3 (a program) and the shell-script python3 of python_probe_test print it.
namespace pinwatch::testing {

inline constexpr char kFakePythonAnswer[] = "implementation_name=cpython\n"
                                            "implementation_version=3.99.7\n"
                                            "os_name=posix\n"
                                            "platform_machine=fake-machine\n"
                                            "platform_release=fake-release\n"
                                            "platform_system=Linux\n"
                                            "platform_version=fake-version\n"
                                            "python_full_version=3.99.7\n"
                                            "platform_python_implementation=CPython\n"
                                            "python_version=3.99\n"
                                            "sys_platform=linux\n";

} // namespace pinwatch::testing
