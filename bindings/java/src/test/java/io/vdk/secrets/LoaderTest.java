package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Each way of finding the library, in a fresh JVM (a library loads once per JVM). */
class LoaderTest {
    private record Run(int exit, String output) {
    }

    private static Run probe(String... jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmArgs));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(LoaderProbe.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        return new Run(process.exitValue(), output);
    }

    @Test
    void fromTheJarResources() throws Exception {
        Run run = probe("-Djava.library.path=/nonexistent");
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("loaded vdk-secrets "), run.output());
    }

    @Test
    void fromTheSystemProperty() throws Exception {
        String path = System.getProperty("vdk.secrets.jni.path");
        assertNotNull(path, "the pom passes the built library's path");
        assertTrue(Files.exists(Path.of(path)), path);
        Run run = probe("-D" + NativeLoader.PATH_PROPERTY + "=" + path);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("loaded vdk-secrets "), run.output());
    }

    @Test
    void fromJavaLibraryPath() throws Exception {
        Path path = Path.of(System.getProperty("vdk.secrets.jni.path"));
        Run run = probe("-Djava.library.path=" + path.getParent());
        assertEquals(0, run.exit(), run.output());
    }

    @Test
    void aBadPropertyFailsListingTheAttempt() throws Exception {
        Run run = probe("-D" + NativeLoader.PATH_PROPERTY + "=/nonexistent/libvdk_secrets_jni.so");
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Tried:"), run.output());
        assertTrue(run.output().contains("/nonexistent/libvdk_secrets_jni.so"), run.output());
    }

    @Test
    void resourceNamingIsPerPlatform() {
        assertTrue(NativeLoader.resourcePath().startsWith("/native/" + NativeLoader.platform() + "/"));
        assertEquals(NativeLoader.class.getResource(NativeLoader.resourcePath()) != null, true,
                "this build's jar resources hold " + NativeLoader.resourcePath());
    }
}
