package dev.diffusion.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the optional servers and tools some tests drive (redis-server, chromium, promtool) on the PATH, as a shell. */
public final class ProgramsOnPath {

    private ProgramsOnPath() {
    }

    public static Optional<Path> find(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(folder -> !folder.isEmpty())
                .map(folder -> Path.of(folder, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The program, or the test is aborted (skipped) with a one-line reason naming the Debian package. */
    public static Path require(String name, String debianPackage) {
        return find(name).orElseThrow(() -> SkipReasons.aborted(
                name + " is not on the PATH (Debian: apt-get install " + debianPackage + ")"));
    }
}
