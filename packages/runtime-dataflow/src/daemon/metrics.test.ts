import { describe, expect, it } from "vitest";
import { parseMetricsAddress } from "./metrics.js";

describe("metrics address", () => {
  it("reads IPv4, bracketed IPv6 and localhost with a port (0: any free one)", () => {
    expect(parseMetricsAddress("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseMetricsAddress("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseMetricsAddress(" localhost:80 ")).toEqual({ host: "localhost", port: 80 });
    expect(parseMetricsAddress("0.0.0.0:9464")).toEqual({ host: "0.0.0.0", port: 9464 });
  });

  it("says what is wrong with anything else", () => {
    expect(parseMetricsAddress("9464")).toEqual({ problem: expect.stringContaining("host:port") });
    expect(parseMetricsAddress("::1:9464")).toEqual({ problem: expect.stringContaining("host:port") });
    expect(parseMetricsAddress("127.0.0.1:65536")).toEqual({ problem: "port 65536 is above 65535" });
    expect(parseMetricsAddress("metrics.example.com:9464")).toEqual({ problem: expect.stringContaining("not an IP address") });
    expect(parseMetricsAddress("[127.0.0.1]:9464")).toEqual({ problem: expect.stringContaining("not an IPv6 address") });
    expect(parseMetricsAddress("127.0.0.1:")).toEqual({ problem: expect.stringContaining("host:port") });
  });
});
