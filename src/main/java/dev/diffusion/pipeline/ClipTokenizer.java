package dev.diffusion.pipeline;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.diffusion.model.TextCleaning;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CLIP's BPE tokenizer: the model's text cleaning done here ({@link TextCleaning}: OpenAI's reference by default,
 * or transformers' slow tokenizer's), then BPE from a Hugging Face {@code tokenizer.json} run by DJL's native
 * tokenizers library. Safe to share between threads; close it to free the native tokenizer.
 */
public final class ClipTokenizer implements AutoCloseable {

    private static final char CAPITAL_SIGMA = '\u03A3';
    /** Word_Break MidLetter, MidNumLet and Single_Quote characters, which are case-ignorable. */
    private static final String IN_WORD_PUNCTUATION =
            "'.:\u00B7\u0387\u055F\u05F4\u2018\u2019\u2024\u2027\uFE13\uFE52\uFE55\uFF07\uFF0E\uFF1A";

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final long padTokenId;
    private final TextCleaning cleaning;

    /** A tokenizer that cleans text as OpenAI's reference does. */
    public ClipTokenizer(Path tokenizerJson, int maxLength, long padTokenId) {
        this(tokenizerJson, maxLength, padTokenId, TextCleaning.OPENAI);
    }

    /**
     * @param tokenizerJson a local tokenizer.json; nothing is downloaded
     * @param maxLength     the length of {@link #encode} (77 for CLIP); at least 2, for the start and end tokens
     * @param padTokenId    the id that fills {@link #encode} after the end token
     * @param cleaning      what is done to a text before tokenizer.json's own normalizer
     */
    public ClipTokenizer(Path tokenizerJson, int maxLength, long padTokenId, TextCleaning cleaning) {
        this.cleaning = cleaning;
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, was " + maxLength);
        }
        this.maxLength = maxLength;
        this.padTokenId = padTokenId;
        try {
            // DJL pads and truncates by default; both are done in encode() so the end token survives truncation
            this.tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(true)
                    .optPadding(false)
                    .optTruncation(false)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load tokenizer " + tokenizerJson, e);
        }
    }

    /** The ids of {@code text}, start token first and end token last, neither padded nor truncated. */
    public long[] ids(String text) {
        String cleaned = switch (cleaning) {
            case OPENAI -> clean(text);
            case TRANSFORMERS_SLOW -> cleanAsTransformers(text);
            case TOKENIZER_JSON -> text;
        };
        return tokenizer.encode(cleaned).getIds();
    }

    /**
     * The ids of {@code text} as the text encoder takes them: exactly {@code maxLength} long, padded with the pad
     * id; a longer text is cut so that its end token is still the last real token.
     */
    public long[] encode(String text) {
        long[] ids = ids(text);
        long[] encoded = new long[maxLength];
        Arrays.fill(encoded, padTokenId);
        System.arraycopy(ids, 0, encoded, 0, Math.min(ids.length, maxLength));
        if (ids.length > maxLength) {
            encoded[maxLength - 1] = ids[ids.length - 1];
        }
        return encoded;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * The reference's cleaning before BPE, as CLIP's {@code whitespace_clean(basic_clean(text)).lower()} without
     * ftfy: {@code html.unescape} twice, runs of whitespace to one space, strip, lower case.
     */
    static String clean(String text) {
        String unescaped = HtmlUnescape.unescape(HtmlUnescape.unescape(text));
        return lowerCase(collapseWhitespace(unescaped));
    }

    /**
     * What transformers' slow CLIPTokenizer makes of a text without ftfy: its
     * {@code BasicTokenizer(strip_accents=False, do_split_on_punc=False)} tokens joined by spaces. Control and format
     * characters (Unicode category C, except tab and line breaks), NUL and U+FFFD are removed; tab, line breaks and
     * space separators become spaces; CJK ideographs get a space on each side; then NFC, split on Python's
     * whitespace, and Python's {@code lower()}. HTML entities stay as they are.
     */
    static String cleanAsTransformers(String text) {
        StringBuilder cleaned = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c == '\t' || c == '\n' || c == '\r' || Character.getType(c) == Character.SPACE_SEPARATOR) {
                cleaned.append(' ');
            } else if (c == 0 || c == 0xFFFD || isOtherCategory(c)) {
                return;
            } else if (isCjkIdeograph(c)) {
                cleaned.append(' ').appendCodePoint(c).append(' ');
            } else {
                cleaned.appendCodePoint(c);
            }
        });
        String normalized = Normalizer.normalize(cleaned, Normalizer.Form.NFC);
        StringBuilder words = new StringBuilder(normalized.length());
        int start = -1;
        for (int i = 0; i <= normalized.length(); i++) {
            boolean space = i == normalized.length() || isPythonSpace(normalized.charAt(i));
            if (!space && start < 0) {
                start = i;
            } else if (space && start >= 0) {
                words.append(words.length() > 0 ? " " : "").append(normalized, start, i);
                start = -1;
            }
        }
        return lowerCase(words.toString());
    }

    /** Unicode's general category C: control, format, surrogate, private use, unassigned. */
    private static boolean isOtherCategory(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED;
    }

    /** The CJK blocks of BERT's BasicTokenizer ({@code _is_chinese_char}). */
    private static boolean isCjkIdeograph(int c) {
        return c >= 0x4E00 && c <= 0x9FFF || c >= 0x3400 && c <= 0x4DBF || c >= 0x20000 && c <= 0x2A6DF
                || c >= 0x2A700 && c <= 0x2B73F || c >= 0x2B740 && c <= 0x2B81F || c >= 0x2B820 && c <= 0x2CEAF
                || c >= 0xF900 && c <= 0xFAFF || c >= 0x2F800 && c <= 0x2FA1F;
    }

    /**
     * CLIP's whitespace_clean: runs of Unicode White_Space (the {@code \s} of the {@code regex} module it uses)
     * become one space, then {@code strip()} removes Python's wider {@code isspace()} set (which adds
     * U+001C..U+001F) from both ends.
     */
    private static String collapseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isWhiteSpace(c)) {
                out.append(c);
            } else if (out.length() == 0 || out.charAt(out.length() - 1) != ' ') {
                out.append(' ');
            }
        }
        int start = 0;
        int end = out.length();
        while (start < end && isPythonSpace(out.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(out.charAt(end - 1))) {
            end--;
        }
        return out.substring(start, end);
    }

    /** Unicode's White_Space property; all such characters are in the BMP. */
    private static boolean isWhiteSpace(char c) {
        return Character.isSpaceChar(c) || c >= '\t' && c <= '\r' || c == '\u0085';
    }

    /** Python's {@code str.isspace()}. */
    private static boolean isPythonSpace(char c) {
        return isWhiteSpace(c) || c >= '\u001C' && c <= '\u001F';
    }

    /**
     * Python's {@code str.lower()}. Java's {@code toLowerCase} differs only in when a capital sigma becomes the
     * final sigma (it looks at word boundaries), so each sigma is decided here with Python's rule.
     */
    private static String lowerCase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int segmentStart = 0;
        for (int sigma = text.indexOf(CAPITAL_SIGMA); sigma >= 0; sigma = text.indexOf(CAPITAL_SIGMA, segmentStart)) {
            out.append(text.substring(segmentStart, sigma).toLowerCase(Locale.ROOT));
            out.append(isFinalSigma(text, sigma) ? '\u03C2' : '\u03C3');
            segmentStart = sigma + 1;
        }
        return out.append(text.substring(segmentStart).toLowerCase(Locale.ROOT)).toString();
    }

    /** Unicode's Final_Sigma as Python tests it: a cased letter before and none after, case-ignorables skipped. */
    private static boolean isFinalSigma(String text, int sigma) {
        int before = sigma;
        while (before > 0 && isCaseIgnorable(text.codePointBefore(before))) {
            before -= Character.charCount(text.codePointBefore(before));
        }
        if (before == 0 || !isCased(text.codePointBefore(before))) {
            return false;
        }
        int after = sigma + 1;
        while (after < text.length() && isCaseIgnorable(text.codePointAt(after))) {
            after += Character.charCount(text.codePointAt(after));
        }
        return after == text.length() || !isCased(text.codePointAt(after));
    }

    private static boolean isCased(int codePoint) {
        return Character.isLowerCase(codePoint) || Character.isUpperCase(codePoint) || Character.isTitleCase(codePoint);
    }

    /** Unicode's Case_Ignorable: marks, format characters, modifiers and the in-word punctuation of Word_Break. */
    private static boolean isCaseIgnorable(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT
                || type == Character.MODIFIER_LETTER || type == Character.MODIFIER_SYMBOL
                || IN_WORD_PUNCTUATION.indexOf(codePoint) >= 0;
    }

    /**
     * Python's {@code html.unescape}: every numeric character reference, and of HTML5's named references the
     * HTML 4 set, the names of ASCII punctuation and the legacy names that also stand without their ';'.
     */
    static final class HtmlUnescape {

        /** name=hex code point; recognised with or without the ';'. */
        private static final String LEGACY_REFERENCES = """
                QUOT=22 quot=22 AMP=26 amp=26 LT=3C lt=3C GT=3E gt=3E nbsp=A0 iexcl=A1 cent=A2 pound=A3 curren=A4
                yen=A5 brvbar=A6 sect=A7 uml=A8 COPY=A9 copy=A9 ordf=AA laquo=AB not=AC shy=AD REG=AE reg=AE macr=AF
                deg=B0 plusmn=B1 sup2=B2 sup3=B3 acute=B4 micro=B5 para=B6 middot=B7 cedil=B8 sup1=B9 ordm=BA
                raquo=BB frac14=BC frac12=BD frac34=BE iquest=BF Agrave=C0 Aacute=C1 Acirc=C2 Atilde=C3 Auml=C4
                Aring=C5 AElig=C6 Ccedil=C7 Egrave=C8 Eacute=C9 Ecirc=CA Euml=CB Igrave=CC Iacute=CD Icirc=CE
                Iuml=CF ETH=D0 Ntilde=D1 Ograve=D2 Oacute=D3 Ocirc=D4 Otilde=D5 Ouml=D6 times=D7 Oslash=D8 Ugrave=D9
                Uacute=DA Ucirc=DB Uuml=DC Yacute=DD THORN=DE szlig=DF agrave=E0 aacute=E1 acirc=E2 atilde=E3
                auml=E4 aring=E5 aelig=E6 ccedil=E7 egrave=E8 eacute=E9 ecirc=EA euml=EB igrave=EC iacute=ED
                icirc=EE iuml=EF eth=F0 ntilde=F1 ograve=F2 oacute=F3 ocirc=F4 otilde=F5 ouml=F6 divide=F7 oslash=F8
                ugrave=F9 uacute=FA ucirc=FB uuml=FC yacute=FD thorn=FE yuml=FF
                """;

        /** name=hex code point; recognised only with the ';'. */
        private static final String OTHER_REFERENCES = """
                Tab=9 NewLine=A excl=21 num=23 dollar=24 percnt=25 apos=27 lpar=28 rpar=29 ast=2A midast=2A plus=2B
                comma=2C period=2E sol=2F colon=3A semi=3B equals=3D quest=3F commat=40 lbrack=5B lsqb=5B bsol=5C
                rbrack=5D rsqb=5D Hat=5E UnderBar=5F lowbar=5F DiacriticalGrave=60 grave=60 lbrace=7B lcub=7B
                VerticalLine=7C verbar=7C vert=7C rbrace=7D rcub=7D OElig=152 oelig=153 Scaron=160 scaron=161
                Yuml=178 fnof=192 circ=2C6 tilde=2DC Alpha=391 Beta=392 Gamma=393 Delta=394 Epsilon=395 Zeta=396
                Eta=397 Theta=398 Iota=399 Kappa=39A Lambda=39B Mu=39C Nu=39D Xi=39E Omicron=39F Pi=3A0 Rho=3A1
                Sigma=3A3 Tau=3A4 Upsilon=3A5 Phi=3A6 Chi=3A7 Psi=3A8 Omega=3A9 alpha=3B1 beta=3B2 gamma=3B3
                delta=3B4 epsilon=3B5 zeta=3B6 eta=3B7 theta=3B8 iota=3B9 kappa=3BA lambda=3BB mu=3BC nu=3BD xi=3BE
                omicron=3BF pi=3C0 rho=3C1 sigmaf=3C2 sigma=3C3 tau=3C4 upsilon=3C5 phi=3C6 chi=3C7 psi=3C8
                omega=3C9 thetasym=3D1 upsih=3D2 piv=3D6 ensp=2002 emsp=2003 thinsp=2009 zwnj=200C zwj=200D lrm=200E
                rlm=200F ndash=2013 mdash=2014 lsquo=2018 rsquo=2019 sbquo=201A ldquo=201C rdquo=201D bdquo=201E
                dagger=2020 Dagger=2021 bull=2022 hellip=2026 permil=2030 prime=2032 Prime=2033 lsaquo=2039
                rsaquo=203A oline=203E frasl=2044 euro=20AC image=2111 weierp=2118 real=211C trade=2122 alefsym=2135
                larr=2190 uarr=2191 rarr=2192 darr=2193 harr=2194 crarr=21B5 lArr=21D0 uArr=21D1 rArr=21D2 dArr=21D3
                hArr=21D4 forall=2200 part=2202 exist=2203 empty=2205 nabla=2207 isin=2208 notin=2209 ni=220B
                prod=220F sum=2211 minus=2212 lowast=2217 radic=221A prop=221D infin=221E ang=2220 and=2227 or=2228
                cap=2229 cup=222A int=222B there4=2234 sim=223C cong=2245 asymp=2248 ne=2260 equiv=2261 le=2264
                ge=2265 sub=2282 sup=2283 nsub=2284 sube=2286 supe=2287 oplus=2295 otimes=2297 perp=22A5 sdot=22C5
                lceil=2308 rceil=2309 lfloor=230A rfloor=230B loz=25CA spades=2660 clubs=2663 hearts=2665 diams=2666
                lang=27E8 rang=27E9
                """;

        private static final Map<String, String> LEGACY = parse(LEGACY_REFERENCES);
        private static final Map<String, String> NAMED = named();
        private static final int LONGEST_LEGACY_NAME = LEGACY.keySet().stream().mapToInt(String::length).max().orElseThrow();

        /** What HTML5 (and Python) make of the numeric references 0x80..0x9F: windows-1252's characters. */
        private static final String WINDOWS_1252_80_TO_9F = "\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021"
                + "\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014"
                + "\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178";

        /** Above the last code point: numbers are clamped here while parsed, as any larger one gives U+FFFD. */
        private static final int BEYOND_UNICODE = Character.MAX_CODE_POINT + 1;

        private HtmlUnescape() {
        }

        static String unescape(String text) {
            int ampersand = text.indexOf('&');
            if (ampersand < 0) {
                return text;
            }
            StringBuilder out = new StringBuilder(text.length());
            int copied = 0;
            while (ampersand >= 0) {
                out.append(text, copied, ampersand);
                int end = ampersand + 1 < text.length() && text.charAt(ampersand + 1) == '#'
                        ? numericReference(text, ampersand, out)
                        : namedReference(text, ampersand, out);
                if (end < 0) {
                    out.append('&');
                    end = ampersand + 1;
                }
                copied = end;
                ampersand = text.indexOf('&', end);
            }
            return out.append(text, copied, text.length()).toString();
        }

        /** Appends the character of {@code &#...;} at {@code start}; returns the index after it, or -1 if none. */
        private static int numericReference(String text, int start, StringBuilder out) {
            int position = start + 2;
            int radix = 10;
            if (position < text.length() && (text.charAt(position) == 'x' || text.charAt(position) == 'X')) {
                radix = 16;
                position++;
            }
            int digitsStart = position;
            int value = 0;
            while (position < text.length() && asciiDigit(text.charAt(position), radix) >= 0) {
                value = Math.min(value * radix + asciiDigit(text.charAt(position), radix), BEYOND_UNICODE);
                position++;
            }
            if (position == digitsStart) {
                return -1;
            }
            out.append(numericReplacement(value));
            return position < text.length() && text.charAt(position) == ';' ? position + 1 : position;
        }

        private static int asciiDigit(char c, int radix) {
            return c < 128 ? Character.digit(c, radix) : -1;
        }

        /** The HTML5 rules as Python applies them: some numbers are replaced, a few are dropped. */
        private static String numericReplacement(int codePoint) {
            if (codePoint == 0) {
                return "\uFFFD";
            }
            if (codePoint == '\r') {
                return "\r";
            }
            if (codePoint >= 0x80 && codePoint <= 0x9F) {
                return String.valueOf(WINDOWS_1252_80_TO_9F.charAt(codePoint - 0x80));
            }
            if (codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE
                    || codePoint > Character.MAX_CODE_POINT) {
                return "\uFFFD";
            }
            boolean dropped = codePoint <= 0x08 || codePoint == 0x0B || codePoint >= 0x0E && codePoint <= 0x1F
                    || codePoint == 0x7F || codePoint >= 0xFDD0 && codePoint <= 0xFDEF
                    || (codePoint & 0xFFFE) == 0xFFFE;
            return dropped ? "" : new String(Character.toChars(codePoint));
        }

        /**
         * Appends the character of {@code &name;} at {@code start}, or else of the longest legacy name the text
         * after {@code &} starts with; returns the index after what was replaced, or -1 if nothing was.
         */
        private static int namedReference(String text, int start, StringBuilder out) {
            int nameStart = start + 1;
            int nameEnd = nameStart;
            while (nameEnd < text.length() && "\t\n\f <&#;".indexOf(text.charAt(nameEnd)) < 0) {
                nameEnd++;
            }
            if (nameEnd < text.length() && text.charAt(nameEnd) == ';') {
                String value = NAMED.get(text.substring(nameStart, nameEnd));
                if (value != null) {
                    out.append(value);
                    return nameEnd + 1;
                }
            }
            for (int end = Math.min(nameEnd, nameStart + LONGEST_LEGACY_NAME); end >= nameStart + 2; end--) {
                String value = LEGACY.get(text.substring(nameStart, end));
                if (value != null) {
                    out.append(value);
                    return end;
                }
            }
            return -1;
        }

        private static Map<String, String> named() {
            Map<String, String> named = new HashMap<>(LEGACY);
            named.putAll(parse(OTHER_REFERENCES));
            return Map.copyOf(named);
        }

        private static Map<String, String> parse(String references) {
            Map<String, String> parsed = new HashMap<>();
            for (String reference : references.trim().split("\\s+")) {
                int equals = reference.indexOf('=');
                int codePoint = Integer.parseInt(reference.substring(equals + 1), 16);
                parsed.put(reference.substring(0, equals), new String(Character.toChars(codePoint)));
            }
            return Map.copyOf(parsed);
        }
    }
}
