package dev.diffusion.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Attention as libtorch 2.7.1 computes it fastest: rewrites the attention of a TorchScript archive, as torch 1.13
 * traced it, to {@code scaled_dot_product_attention}, before the archive is loaded.
 *
 * <p>Why: a traced attention computes the full {@code [batch × heads, N, N]} score matrix (baddbmm, softmax, bmm),
 * which at Stable Diffusion's latent sizes is hundreds of MB per call and ran 1.3–1.6× slower in libtorch 2.7.1 than in
 * torch 1.13 on the same file (BENCHMARKS.md, "Real sizes"). libtorch 2.7.1's fused CPU kernel never builds that
 * matrix.
 * torch 1.13, which our exports and users' older exports were made with, has no such operator to trace, so the
 * archive's TorchScript source (its {@code code/} entries, compiled again at every load) is rewritten instead. The
 * file on disk is left alone; the rewritten copy lives in a temporary folder until libtorch has read it.
 *
 * <p>Two forms are recognised, each only exactly as written here, so anything else (a mask, half-precision casts,
 * dropout) is left as exported:
 * <ul>
 *   <li>diffusers' {@code AttnProcessor}: {@code scores = baddbmm(empty, q, kᵀ, beta=0, alpha=scale)}, an optional cast
 *       to float32, {@code softmax(scores, -1)}, an optional cast to float32, {@code bmm(probs, v)} on 3-d
 *       {@code [batch × heads, N, d]} tensors;</li>
 *   <li>this project's own {@code models.py} attention: {@code matmul(q, kᵀ) * head_dim^-0.5}, {@code softmax}, then
 *       {@code matmul(weights, v)} on 4-d tensors.</li>
 * </ul>
 */
final class FusedAttention {

    private static final String NAME = "[A-Za-z_][A-Za-z0-9_]*";
    private static final String TO_FLOAT32 = "[ \\t]+(?<%s>" + NAME + ") = torch\\.to\\(\\k<%s>, 6\\)\\n";

    /** diffusers' AttnProcessor as torch 1.13 traces it (dtype 6 is float32). */
    private static final Pattern DIFFUSERS = Pattern.compile(
            "(?<indent>[ \\t]+)(?<empty>" + NAME + ") = torch\\.empty\\([^\\n]*\\)\\n"
            + "[ \\t]+(?<scores>" + NAME + ") = torch\\.baddbmm\\(\\k<empty>, (?<q>" + NAME + "), "
            + "torch\\.transpose\\((?<k>" + NAME + "), -1, -2\\), beta=0, alpha=(?<scale>[0-9.eE+-]+)\\)\\n"
            + "(?:" + String.format(TO_FLOAT32, "scores32", "scores") + ")?"
            + "[ \\t]+(?<probs>" + NAME + ") = torch\\.softmax\\((?:\\k<scores>|\\k<scores32>), -1\\)\\n"
            + "(?:" + String.format(TO_FLOAT32, "probs32", "probs") + ")?"
            + "[ \\t]+(?<out>" + NAME + ") = torch\\.bmm\\((?:\\k<probs>|\\k<probs32>), (?<v>" + NAME + ")\\)\\n");

    /** src/training/models.py's attention: q, k, v of [batch, heads, N, head_dim]. */
    private static final Pattern OURS = Pattern.compile(
            "(?<indent>[ \\t]+)(?<scores>" + NAME + ") = torch\\.matmul\\((?<q>" + NAME + "), "
            + "torch\\.transpose\\((?<k>" + NAME + "), -1, -2\\)\\)\\n"
            + "[ \\t]+(?<scaled>" + NAME + ") = torch\\.mul\\(\\k<scores>, (?<scale>torch\\.pow\\(" + NAME
            + ", -0\\.5\\))\\)\\n"
            + "[ \\t]+(?<weights>" + NAME + ") = torch\\.softmax\\(\\k<scaled>, -1\\)\\n"
            + "(?<before>[^\\n]*)torch\\.matmul\\(\\k<weights>, (?<v>" + NAME + ")\\)");

    private FusedAttention() {
    }

    /** TorchScript source with its recognised attention blocks rewritten, and how many there were. */
    record Rewrite(String code, int blocks) {
    }

    static Rewrite rewrite(String code) {
        int[] blocks = {0};
        String fused = replaceAll(DIFFUSERS, code, m -> {
            blocks[0]++;
            // the fused kernel wants [batch, heads, N, d]: the traced [batch × heads, N, d] becomes one batch
            return Matcher.quoteReplacement(m.group("indent") + m.group("out")
                    + " = torch.squeeze(torch.scaled_dot_product_attention(torch.unsqueeze(" + m.group("q")
                    + ", 0), torch.unsqueeze(" + m.group("k") + ", 0), torch.unsqueeze(" + m.group("v")
                    + ", 0), None, 0., False, scale=" + m.group("scale") + "), 0)\n");
        });
        fused = replaceAll(OURS, fused, m -> {
            blocks[0]++;
            return Matcher.quoteReplacement(m.group("indent") + m.group("weights")
                    + " = torch.scaled_dot_product_attention(" + m.group("q") + ", " + m.group("k") + ", "
                    + m.group("v") + ", None, 0., False, scale=float(" + m.group("scale") + "))\n"
                    + m.group("before") + m.group("weights"));
        });
        return new Rewrite(fused, blocks[0]);
    }

    /** {@link Matcher#replaceAll} with named groups, which Java 17's {@code MatchResult} lacks. */
    private static String replaceAll(Pattern pattern, String text, Function<Matcher, String> replacement) {
        Matcher matcher = pattern.matcher(text);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            matcher.appendReplacement(result, replacement.apply(matcher));
        }
        return matcher.appendTail(result).toString();
    }

    /**
     * Writes {@code archive} with its attention fused to {@code target} and returns the number of blocks fused; 0 (and
     * nothing written) when it has none. Tensor records are copied as they are; a rewritten source file loses its
     * {@code .debug_pkl} (source ranges of the old text), which libtorch does without.
     */
    static int rewriteArchive(Path archive, Path target) throws IOException {
        Map<String, String> rewritten = new LinkedHashMap<>();
        int blocks = 0;
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (isSource(entry.getName())) {
                    try (InputStream in = zip.getInputStream(entry)) {
                        Rewrite rewrite = rewrite(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                        if (rewrite.blocks() > 0) {
                            rewritten.put(entry.getName(), rewrite.code());
                            blocks += rewrite.blocks();
                        }
                    }
                }
            }
            if (blocks == 0) {
                return 0;
            }
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
                out.setMethod(ZipOutputStream.STORED);  // as torch writes them; libtorch reads stored records
                for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                    ZipEntry entry = entries.nextElement();
                    String name = entry.getName();
                    if (name.endsWith(".debug_pkl") && rewritten.containsKey(name.substring(0, name.length() - 10))) {
                        continue;
                    }
                    String code = rewritten.get(name);
                    if (code != null) {
                        byte[] bytes = code.getBytes(StandardCharsets.UTF_8);
                        out.putNextEntry(stored(name, bytes.length, crc(bytes)));
                        out.write(bytes);
                    } else if (entry.getMethod() == ZipEntry.STORED) {
                        out.putNextEntry(stored(name, entry.getSize(), entry.getCrc()));
                        try (InputStream in = zip.getInputStream(entry)) {
                            in.transferTo(out);
                        }
                    } else {
                        byte[] bytes;
                        try (InputStream in = zip.getInputStream(entry)) {
                            bytes = in.readAllBytes();
                        }
                        out.putNextEntry(stored(name, bytes.length, crc(bytes)));
                        out.write(bytes);
                    }
                    out.closeEntry();
                }
            }
        }
        return blocks;
    }

    private static boolean isSource(String name) {
        return name.contains("/code/") && name.endsWith(".py");
    }

    private static ZipEntry stored(String name, long size, long crc) {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(size);
        entry.setCompressedSize(size);
        entry.setCrc(crc);
        entry.setTime(315532800000L);  // 1980-01-01, as torch writes: the same input gives the same bytes
        return entry;
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}
