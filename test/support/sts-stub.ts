/**
 * A stand-in for AWS STS on 127.0.0.1: answers GetCallerIdentity with the given account (the AWS
 * provider's one call when it plans a layer with nothing in state yet) and records every request
 * body, so a test can assert no other call was made.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface StsStub {
  readonly endpoint: string;
  readonly calls: string[];
  stop(): Promise<void>;
}

export async function startStsStub(account: string): Promise<StsStub> {
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      calls.push(body);
      res.setHeader("content-type", "text/xml");
      res.end(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
          `<Arn>arn:aws:iam::${account}:user/test</Arn><UserId>AIDATEST</UserId><Account>${account}</Account>` +
          `</GetCallerIdentityResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
