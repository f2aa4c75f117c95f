package io.vdk.secrets;

/** Run in a child JVM by {@link LoaderTest}: loads the library as configured and prints the version. */
public final class LoaderProbe {
    public static void main(String[] args) {
        try {
            System.out.println("loaded " + SecretsClient.nativeVersion());
        } catch (UnsatisfiedLinkError e) {
            System.out.println("failed " + e.getMessage());
            System.exit(3);
        }
    }
}
