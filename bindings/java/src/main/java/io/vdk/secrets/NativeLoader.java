package io.vdk.secrets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads the JNI glue ({@code vdk_secrets_jni}) once, from the first place that works:
 * <ol>
 *   <li>the system property {@value #PATH_PROPERTY}, a full file path; when it is set, nothing
 *       else is tried (an explicit choice must not silently fall back to another copy);</li>
 *   <li>{@code System.loadLibrary("vdk_secrets_jni")}, i.e. {@code java.library.path};</li>
 *   <li>the jar's resource {@code /native/<os>-<arch>/<System.mapLibraryName(...)>}, with
 *       os {@code linux}, {@code macos} or {@code windows} and arch {@code x86_64} or
 *       {@code aarch64} (e.g. {@code native/linux-x86_64/libvdk_secrets_jni.so}), copied to a
 *       temporary file, loaded, and deleted (at once where the OS allows it, else on exit).</li>
 * </ol>
 * Failure is an {@link UnsatisfiedLinkError} listing every attempt and why it failed; the next
 * call tries again.
 */
final class NativeLoader {
    static final String PATH_PROPERTY = "vdk.secrets.native.path";
    static final String LIBRARY = "vdk_secrets_jni";

    private static volatile boolean loaded;

    private NativeLoader() {
    }

    static void ensureLoaded() {
        if (!loaded) {
            load();
        }
    }

    private static synchronized void load() {
        if (loaded) {
            return;
        }
        List<String> tried = new ArrayList<>();
        String path = System.getProperty(PATH_PROPERTY);
        if (path != null && !path.isBlank()) {
            try {
                System.load(path);
                loaded = true;
                return;
            } catch (UnsatisfiedLinkError | SecurityException e) {
                tried.add("system property " + PATH_PROPERTY + "=" + path + ": " + e.getMessage());
                throw failure(tried);
            }
        }
        try {
            System.loadLibrary(LIBRARY);
            loaded = true;
            return;
        } catch (UnsatisfiedLinkError | SecurityException e) {
            tried.add("System.loadLibrary(\"" + LIBRARY + "\") with java.library.path="
                    + System.getProperty("java.library.path") + ": " + e.getMessage());
        }
        String resource = resourcePath();
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                tried.add("resource " + resource + " in the jar: not found (no native library for "
                        + platform() + " in this jar)");
            } else {
                String name = System.mapLibraryName(LIBRARY);
                Path file = Files.createTempFile(LIBRARY + "-", name.substring(name.lastIndexOf('.')));
                file.toFile().deleteOnExit();
                try {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    System.load(file.toAbsolutePath().toString());
                    loaded = true;
                    return;
                } catch (UnsatisfiedLinkError | IOException e) {
                    tried.add("resource " + resource + " extracted to " + file + ": " + e.getMessage());
                } finally {
                    if (!isWindows()) {
                        // The mapping stays; the file is not needed after load.
                        Files.deleteIfExists(file);
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            tried.add("resource " + resource + ": " + e);
        }
        throw failure(tried);
    }

    private static UnsatisfiedLinkError failure(List<String> tried) {
        StringBuilder text = new StringBuilder("Cannot load the vdk-secrets native library (")
                .append(System.mapLibraryName(LIBRARY)).append(" for ").append(platform()).append("). Tried:");
        for (int i = 0; i < tried.size(); i++) {
            text.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        }
        text.append("\nSet -D").append(PATH_PROPERTY)
                .append("=/full/path/to/").append(System.mapLibraryName(LIBRARY))
                .append(", or put it on java.library.path, or use a jar built for this platform.");
        return new UnsatisfiedLinkError(text.toString());
    }

    static String resourcePath() {
        return "/native/" + platform() + "/" + System.mapLibraryName(LIBRARY);
    }

    /** {@code <os>-<arch>}, e.g. {@code linux-x86_64}, {@code macos-aarch64}. */
    static String platform() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else {
            os = os.replaceAll("[^a-z0-9]", "");
        }
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x64":
                arch = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                arch = "aarch64";
                break;
            default:
                arch = arch.replaceAll("[^a-z0-9_]", "");
        }
        return os + "-" + arch;
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    }
}
