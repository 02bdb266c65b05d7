Console.WriteLine("embedded broker placeholder");
